package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.policy.Decision;
import dev.weir.agent.policy.Decision.Verdict;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.policy.Party;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.FlowEvent;
import dev.weir.testkit.Frames;

/**
 * "Java says / kernel does": one {@code tc_endpoint} object per node of the cluster, written by the agent's
 * map writer from a {@link PolicyResult}, and for each {@link Connection} the engine's
 * {@link PolicyEngine#decide} next to what the loaded programs do with a real opening packet — the source
 * endpoint's {@code weir_from_ep} on its node, the destination endpoint's {@code weir_to_ep} on its node
 * (an address that is no endpoint has no hook). Both hooks always run, so each is compared on its own
 * (verdict, reason, rule), even where the first one drops. Not thread-safe; closing frees the objects.
 */
final class VerdictComparison implements AutoCloseable {

    /** What one kernel hook did: its verdict from the flow event, the reason's name, the rule. */
    record KernelHook(Verdict verdict, String reason, int rule, String anomaly) {
        static final KernelHook NONE = new KernelHook(Verdict.ALLOWED, "NO_ENDPOINT", 0, null);

        boolean sameAs(Decision.Hook j) {
            return anomaly == null && verdict == j.verdict() && reason.equals(j.reason().name()) && rule == j.rule();
        }

        @Override
        public String toString() {
            return reason + (rule == 0 ? "" : " #" + rule) + (anomaly == null ? "" : " [" + anomaly + "]");
        }
    }

    /** Both sides' view of one connection. */
    record Outcome(Connection connection, Decision java, KernelHook egress, KernelHook ingress) {
        Verdict kernelVerdict() {
            if (egress.verdict() == Verdict.DENIED || ingress.verdict() == Verdict.DENIED) {
                return Verdict.DENIED;
            }
            return egress.verdict() == Verdict.AUDIT || ingress.verdict() == Verdict.AUDIT ? Verdict.AUDIT : Verdict.ALLOWED;
        }

        boolean agrees() {
            return egress.sameAs(java.egress()) && ingress.sameAs(java.ingress()) && kernelVerdict() == java.verdict();
        }

        /** {@code IPv4 x/a -> y/b TCP/80: java DENIED (egress …, ingress …), kernel ALLOWED (egress …, ingress …)}. */
        String diff() {
            return connection + ": java " + java.verdict() + " (egress " + hook(java.egress()) + ", ingress "
                    + hook(java.ingress()) + "), kernel " + kernelVerdict() + " (egress " + egress + ", ingress " + ingress + ")";
        }

        private static String hook(Decision.Hook h) {
            return h.reason() + (h.rule() == 0 ? "" : " #" + h.rule());
        }
    }

    private final PolicyEngine engine = new PolicyEngine();
    private final Map<String, NodeDatapath> nodes = new LinkedHashMap<>();
    private final Map<Verdict, Integer> seen = new EnumMap<>(Verdict.class);
    private PolicyResult result;
    private int nextPort;
    private int checked;

    /** Loads one object per node (the netpol model's nodes). */
    VerdictComparison(List<Node> clusterNodes) {
        try {
            for (Node n : clusterNodes) {
                nodes.put(n.name(), new NodeDatapath(n));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Writes a result into every node's maps, as each node's agent would; conntrack starts empty. */
    void apply(PolicyResult r) {
        nodes.values().forEach(n -> n.apply(r));
        result = r;
        nextPort = 10000;
    }

    /** Differences between each node's {@code pol}/{@code ep_by_ifindex} and what the writer means (empty: none). */
    List<String> staleOrMissing() {
        List<String> out = new ArrayList<>();
        nodes.values().forEach(n -> out.addAll(n.staleOrMissing(result)));
        return out;
    }

    /** The parties of the netpol model: its pods, the external client, and the nodes (by name). */
    List<String> parties() {
        List<String> out = new ArrayList<>(NetpolCluster.PODS);
        out.addAll(addresses());
        return out;
    }

    /** The parties that are bare addresses. */
    List<String> addresses() {
        List<String> out = new ArrayList<>(List.of("ext"));
        out.addAll(nodes.keySet());
        return out;
    }

    /** Judges one connection both ways; every call is a new connection (fresh source port / echo id). */
    Outcome check(Connection c) {
        Endpoint src = endpoint(c.src());
        Endpoint dst = endpoint(c.dst());
        String srcAddr = address(c.src(), src, c.family());
        String dstAddr = address(c.dst(), dst, c.family());
        int proto = c.probe().proto(c.family());
        Decision java = engine.decide(result, party(src, srcAddr), party(dst, dstAddr), proto,
                c.probe().port(), c.family());
        int sport = nextPort++;
        if (nextPort > 65000) {
            throw new IllegalStateException("too many connections for one apply: source ports would repeat");
        }
        byte[] frame = Frames.opening(srcAddr, dstAddr, c.probe().proto(), sport, c.probe().port());
        KernelHook egress = src == null ? KernelHook.NONE : hook(src, EndpointMaps.DIR_EGRESS, frame);
        KernelHook ingress = dst == null ? KernelHook.NONE : hook(dst, EndpointMaps.DIR_INGRESS, frame);
        Outcome o = new Outcome(c, java, egress, ingress);
        checked++;
        seen.merge(o.kernelVerdict(), 1, Integer::sum);
        return o;
    }

    /** The object of a node, e.g. to tamper with it in a test of this harness. */
    NodeDatapath node(String name) {
        return nodes.get(name);
    }

    /** Connections checked so far. */
    int checked() {
        return checked;
    }

    /** Kernel verdicts seen so far. */
    Map<Verdict, Integer> seen() {
        return seen;
    }

    private KernelHook hook(Endpoint ep, int dir, byte[] frame) {
        NodeDatapath.Run run = nodes.get(ep.node()).run(ep.id(), dir, frame);
        if (run.events().size() != 1) {
            return new KernelHook(run.retval() == NodeDatapath.TC_ACT_SHOT ? Verdict.DENIED : Verdict.ALLOWED,
                    "rc " + run.retval(), 0, run.events().size() + " flow events: " + run.events());
        }
        FlowEvent ev = run.events().getFirst();
        Verdict v = switch (ev.verdict()) {
            case FlowEvent.FORWARDED -> Verdict.ALLOWED;
            case FlowEvent.DROPPED -> Verdict.DENIED;
            case FlowEvent.AUDIT -> Verdict.AUDIT;
            default -> null;
        };
        String anomaly = null;
        if (v == null) {
            anomaly = "unexpected event " + ev;
        } else if ((run.retval() == NodeDatapath.TC_ACT_SHOT) != (v == Verdict.DENIED)) {
            anomaly = "rc " + run.retval() + " with event " + ev;
        } else if (ev.dir() != dir || ev.isReply()) {
            anomaly = "not a new connection at this hook: " + ev;
        }
        return new KernelHook(v == null ? Verdict.DENIED : v, reasonName(ev.reason()), ev.rule(), anomaly);
    }

    /** The datapath's reason as {@link Decision.Reason} names it ({@code PASS} is "no policy"). */
    private static String reasonName(int code) {
        return DropReason.find(code).map(r -> r == DropReason.PASS ? "PASS_NO_POLICY" : r.name()).orElse("reason " + code);
    }

    private Endpoint endpoint(String name) {
        if (!name.contains("/")) {
            return null;
        }
        int id = NetpolCluster.id(name);
        return result.snapshot().endpoints().stream().filter(e -> e.id() == id).findFirst().orElseThrow();
    }

    private String address(String name, Endpoint ep, int family) {
        if (ep != null) {
            return family == 4 ? ep.ipv4() : ep.ipv6();
        }
        if (name.equals("ext")) {
            return family == 4 ? NetpolCluster.EXT4 : NetpolCluster.EXT6;
        }
        NodeDatapath n = nodes.get(name);
        if (n == null) {
            throw new IllegalArgumentException("no party " + name);
        }
        return family == 4 ? n.node.ipv4() : n.node.ipv6();
    }

    private static Party party(Endpoint ep, String addr) {
        return ep != null ? Party.endpoint(ep.id()) : Party.ip(addr);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (NodeDatapath n : nodes.values()) {
            try {
                n.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
