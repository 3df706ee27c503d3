package dev.weir.agent.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Renders a {@link FlowRecord} as Hubble's flow JSON ({@code hubble observe -o json}, the {@code flow}
 * object), with Hubble's field names: {@code time}, {@code verdict}, {@code drop_reason_desc},
 * {@code IP.source}, {@code l4.TCP.source_port}, {@code source.pod_name}, {@code traffic_direction},
 * {@code is_reply}, {@code node_name}, {@code policy_match_type}, {@code Summary}…, plus
 * {@code ingress_allowed_by}-style policy references. Fields Hubble omits when empty are omitted here
 * too. Stateless.
 */
public final class HubbleJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HubbleJson() {
    }

    public static ObjectNode render(FlowRecord f) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("time", f.time().toString());
        o.put("verdict", f.verdict().name());
        if (f.dropReasonName() != null) {
            o.put("drop_reason", f.dropReason());
            o.put("drop_reason_desc", f.dropReasonName());
        }
        ObjectNode ip = o.putObject("IP");
        ip.put("source", f.sourceIp());
        ip.put("destination", f.destinationIp());
        ip.put("ipVersion", f.ipVersion() == 6 ? "IPv6" : "IPv4");
        l4(o.putObject("l4"), f);
        o.set("source", peer(f.source()));
        o.set("destination", peer(f.destination()));
        o.put("Type", f.dns() == null ? "L3_L4" : "L7");
        if (f.dns() != null) {
            dns(o.putObject("l7"), f.dns());
        }
        strings(o, "source_names", f.sourceNames());
        strings(o, "destination_names", f.destinationNames());
        o.put("node_name", f.nodeName());
        o.put("traffic_direction", f.trafficDirection());
        o.put("is_reply", f.isReply());
        if (f.policyMatchType() != 0) {
            o.put("policy_match_type", f.policyMatchType());
        }
        if (f.policy() != null) {
            String side = f.trafficDirection().equals("INGRESS") ? "ingress" : "egress";
            String which = f.verdict() == Verdict.DROPPED ? "_denied_by" : "_allowed_by";
            ObjectNode p = o.putArray(side + which).addObject();
            p.put("kind", f.policy().kind());
            p.put("namespace", f.policy().namespace());
            p.put("name", f.policy().name());
        }
        if (f.service() != null) {
            ObjectNode svc = o.putObject(f.isReply() ? "source_service" : "destination_service");
            svc.put("name", f.service().name());
            svc.put("namespace", f.service().namespace());
            svc.put("frontend", f.service().frontend());
        }
        o.put("Summary", f.summary());
        return o;
    }

    /** Hubble's {@code l7} of a DNS flow: {@code type} and {@code dns} (its own fields, and weir's {@code error}, {@code partial}). */
    private static void dns(ObjectNode l7, FlowRecord.Dns d) {
        l7.put("type", d.type());
        ObjectNode dns = l7.putObject("dns");
        if (d.query() != null) {
            dns.put("query", d.query());
        }
        strings(dns, "ips", d.ips());
        if (d.ttl() >= 0) {
            dns.put("ttl", d.ttl());
        }
        strings(dns, "cnames", d.cnames());
        dns.put("observation_source", "tc");
        dns.put("rcode", d.rcode());
        strings(dns, "qtypes", d.qtypes());
        strings(dns, "rrtypes", d.rrtypes());
        if (d.partial()) {
            dns.put("partial", true);
        }
        if (d.error() != null) {
            dns.put("error", d.error());
        }
    }

    private static void strings(ObjectNode o, String field, java.util.List<String> values) {
        if (!values.isEmpty()) {
            ArrayNode a = o.putArray(field);
            values.forEach(a::add);
        }
    }

    private static void l4(ObjectNode l4, FlowRecord f) {
        switch (f.protocol()) {
            case "TCP" -> {
                ObjectNode tcp = l4.putObject("TCP");
                tcp.put("source_port", f.sourcePort());
                tcp.put("destination_port", f.destinationPort());
                if (!f.tcpFlags().isEmpty()) {
                    ObjectNode flags = tcp.putObject("flags");
                    f.tcpFlags().forEach(n -> flags.put(n, true));
                }
            }
            case "UDP", "SCTP" -> {
                ObjectNode u = l4.putObject(f.protocol());
                u.put("source_port", f.sourcePort());
                u.put("destination_port", f.destinationPort());
            }
            case "ICMPv4", "ICMPv6" -> l4.putObject(f.protocol());
            default -> {
            }
        }
    }

    private static JsonNode peer(FlowPeer p) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("identity", p.identity());
        if (p.namespace() != null) {
            o.put("namespace", p.namespace());
        }
        if (!p.labels().isEmpty()) {
            ArrayNode labels = o.putArray("labels");
            p.labels().forEach(labels::add);
        }
        if (p.podName() != null) {
            o.put("pod_name", p.podName());
        }
        return o;
    }
}
