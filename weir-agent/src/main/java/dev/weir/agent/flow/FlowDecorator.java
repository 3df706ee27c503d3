package dev.weir.agent.flow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.dns.DnsMessage;
import dev.weir.agent.dns.DnsNames;
import dev.weir.agent.dns.DnsParse;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.runtime.StateView;
import dev.weir.datapath.DropReason;

/**
 * Turns raw datapath events into {@link FlowRecord}s: addresses to pods, identities to labels, rule
 * numbers to policies, reason codes to Hubble's names, DNS messages to L7 DNS flows, and the addresses a
 * pod resolved to the names it asked for ({@link DnsNames}, learnt from the responses it received). It
 * decorates with the state the sync loop last applied ({@link #update}), so a flow is named as the
 * dataplane saw it. Thread-safe.
 */
public final class FlowDecorator {

    private static final String[] FLAG_NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
    /** Hubble's names for the drop reasons it shares with weir; the rest keep weir's name. */
    private static final Map<Integer, String> HUBBLE_REASONS = Map.of(142, "POLICY_DENIED", 143, "POLICY_DENY",
            144, "CT_MAP_INSERTION_FAILED");

    /**
     * What decoration reads, indexed once per {@link #update}: endpoints by address, rules by id and each
     * identity's sorted label strings (StateView's own lookups scan lists: too slow per event).
     */
    private record Context(ClusterState cluster, StateView view, Map<String, Endpoint> byIp, Map<Integer, Endpoint> byId,
                           Map<Integer, StateView.Rule> rules, Map<Integer, List<String>> labels,
                           Map<Integer, FlowRecord.ServiceRef> services) {
    }

    private final String node;
    private final DnsNames names = new DnsNames(DnsNames.Config.defaults());
    private volatile Context context = new Context(ClusterState.EMPTY, StateView.EMPTY, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

    public FlowDecorator(String node) {
        this.node = node;
    }

    /** Decorates from now on with this cluster and policy. */
    public void update(ClusterState cluster, StateView view) {
        Map<String, Endpoint> byIp = new HashMap<>();
        Map<Integer, Endpoint> byId = new HashMap<>();
        for (Endpoint e : cluster.endpoints()) {
            e.addresses().forEach(a -> byIp.put(a, e));
            byId.put(e.id(), e);
        }
        Map<Integer, StateView.Rule> rules = new HashMap<>();
        view.rules().forEach(r -> rules.putIfAbsent(r.id(), r));
        Map<Integer, List<String>> labels = new HashMap<>();
        for (StateView.Identity i : view.identities()) {
            List<String> l = new ArrayList<>();
            i.labels().forEach((k, v) -> l.add(v.isEmpty() ? k : k + "=" + v));
            l.sort(null);
            labels.putIfAbsent(i.id(), List.copyOf(l));
        }
        Map<Integer, FlowRecord.ServiceRef> services = new HashMap<>();
        for (StateView.Frontend f : view.frontends()) {
            int slash = f.service().indexOf('/');
            String addr = f.address().contains(":") ? "[" + f.address() + "]" : f.address();
            services.putIfAbsent(f.revNatId(), new FlowRecord.ServiceRef(f.service().substring(0, slash),
                    f.service().substring(slash + 1), addr + ":" + f.port()));
        }
        context = new Context(cluster, view, byIp, byId, rules, labels, services);
    }

    public FlowRecord decorate(RawFlowEvent e, long seq) {
        Context c = context;
        Verdict verdict = Verdict.of(e.verdict());
        boolean dropped = verdict == Verdict.DROPPED;
        String reasonName = dropped ? HUBBLE_REASONS.getOrDefault(e.reason(), DropReason.find(e.reason())
                .map(r -> r.name().replaceFirst("^DROP_", "")).orElse("REASON_" + e.reason())) : null;
        String reasonDesc = DropReason.describe(e.reason());
        List<String> flags = e.protocol() == 6 ? tcpFlags(e.tcpFlags()) : List.of();
        String protocol = protocolName(e.protocol(), e.family());
        StateView.Rule rule = c.rules().get(e.rule());
        FlowRecord.PolicyRef policy = rule == null ? null : new FlowRecord.PolicyRef(rule.kind(), rule.namespace(), rule.name());
        // the socket LB's events have no interface; the underlay's (weir_from_netdev, a new NodePort connection) have
        String call = dev.weir.datapath.endpoint.FlowEvent.hookName(e.hook());
        String summary = call != null ? guardSummary(protocol, call, verdict, rule)
                : verdict == Verdict.TRANSLATED ? protocol + (e.ifindex() == 0 ? " socket translated to a backend"
                : " translated to a backend by the underlay")
                : summary(protocol, flags, dropped ? reasonDesc : null);
        String sourceIp = e.sourceIp();
        int sourceIdentity = e.sourceIdentity();
        Endpoint own = c.byId().get(e.endpointId());
        if ((verdict == Verdict.TRANSLATED || call != null) && own != null) {
            // the socket hooks name their pod by cgroup; the socket may not have a local address yet
            String address = e.family() == 6 ? own.ipv6() : own.ipv4();
            if (isUnspecified(sourceIp) && address != null) {
                sourceIp = address;
            }
            StateView.EndpointPolicy p = c.view().endpoints().get(own.id());
            if (sourceIdentity == 0 && p != null) {
                sourceIdentity = p.identity();
            }
        }
        boolean egress = e.direction() == 1;
        return new FlowRecord(seq, e.time(), verdict, e.reason(), reasonName, reasonDesc, e.family(),
                sourceIp, e.destinationIp(), peer(c, sourceIp, sourceIdentity),
                peer(c, e.destinationIp(), e.destinationIdentity()), protocol, e.sourcePort(), e.destinationPort(),
                flags, egress ? "EGRESS" : "INGRESS", e.reply(), node, e.match(), policy, summary,
                e.revNatId() == 0 ? null : c.services().get(e.revNatId()),
                egress ? List.of() : names.names(e.endpointId(), sourceIp, e.time()),
                egress ? names.names(e.endpointId(), e.destinationIp(), e.time()) : List.of(), null);
    }

    /**
     * An L7 DNS flow: the packet decorated as any other, its message parsed. A response the pod received
     * (forwarded to it) teaches the names of its answers' addresses to that pod's later flows.
     */
    public FlowRecord decorateDns(RawDnsEvent e, long seq) {
        FlowRecord f = decorate(e.packet(), seq);
        DnsParse parsed = DnsFlows.parse(e);
        if (parsed instanceof DnsMessage m && e.packet().direction() == 0 && f.verdict() == Verdict.FORWARDED) {
            names.learn(e.packet().endpointId(), m, e.packet().time());
        }
        FlowRecord.Dns dns = DnsFlows.dns(parsed, e.request());
        String summary = DnsFlows.summary(dns) + (f.verdict() == Verdict.DROPPED ? " (" + f.dropReasonDesc() + ")" : "");
        return new FlowRecord(seq, f.time(), f.verdict(), f.dropReason(), f.dropReasonName(), f.dropReasonDesc(),
                f.ipVersion(), f.sourceIp(), f.destinationIp(), f.source(), f.destination(), f.protocol(), f.sourcePort(),
                f.destinationPort(), List.of(), f.trafficDirection(), f.isReply(), f.nodeName(), 0, null, summary,
                f.service(), f.sourceNames(), f.destinationNames(), dns);
    }

    /**
     * A workload guard's event: the call, what became of it and the rule, e.g.
     * {@code TCP connect() refused by WeirWorkloadGuard x/no-metadata spec.egress[0]}.
     */
    private static String guardSummary(String protocol, String call, Verdict verdict, StateView.Rule rule) {
        String what = verdict == Verdict.AUDIT ? " would be refused (audit) by " : " refused by ";
        String by = rule == null ? "a workload guard" : rule.kind() + " " + rule.namespace() + "/" + rule.name() + " " + rule.path();
        return protocol + " " + call + what + by;
    }

    private static FlowPeer peer(Context c, String ip, int identity) {
        List<String> labels = c.labels().getOrDefault(identity, List.of());
        Optional<Endpoint> ep = Optional.ofNullable(ip == null ? null : c.byIp().get(ip));
        return new FlowPeer(identity, ep.map(Endpoint::namespace).orElse(null), ep.map(Endpoint::name).orElse(null), labels);
    }

    private static boolean isUnspecified(String ip) {
        return ip == null || ip.equals("0.0.0.0") || ip.equals("::") || ip.equals("0:0:0:0:0:0:0:0");
    }

    static List<String> tcpFlags(int bits) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < FLAG_NAMES.length; i++) {
            if ((bits & (1 << i)) != 0) {
                names.add(FLAG_NAMES[i]);
            }
        }
        return names;
    }

    static String protocolName(int proto, int family) {
        return switch (proto) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 132 -> "SCTP";
            case 1 -> "ICMPv4";
            case 58 -> "ICMPv6";
            default -> family == 6 ? "IPv6 proto " + proto : "IPv4 proto " + proto;
        };
    }

    /** The protocol number {@link #protocolName} gave {@code name}. */
    static int protocolNumber(String name) {
        for (int proto : new int[] {6, 17, 132, 1, 58}) {
            if (protocolName(proto, 4).equals(name)) {
                return proto;
            }
        }
        return Integer.parseInt(name.substring(name.lastIndexOf(' ') + 1));
    }

    private static String summary(String protocol, List<String> flags, String dropDesc) {
        String s = protocol.equals("TCP") ? "TCP Flags: " + String.join(", ", flags) : protocol;
        return dropDesc == null ? s : s + " (" + dropDesc + ")";
    }
}
