package dev.weir.agent.flow;

import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.dns.DnsMessage;
import dev.weir.agent.dns.DnsParse;
import dev.weir.agent.dns.DnsParser;

/**
 * A DNS message as a flow shows it: Hubble's {@code l7.dns} fields ({@link FlowRecord.Dns}) and its Summary
 * ({@code DNS Query www.example.org. A}, {@code DNS Answer "10.0.0.1" TTL: 30 (www.example.org. A)},
 * {@code DNS Answer RCode: NXDOMAIN (nope.example.org. A)}, {@code DNS malformed: <why>}). Stateless.
 */
final class DnsFlows {

    private DnsFlows() {
    }

    /** The message of a DNS event: UDP's datagram, or TCP's segment (length-prefixed). */
    static DnsParse parse(RawDnsEvent e) {
        byte[] m = e.message();
        return e.packet().protocol() == 6 ? DnsParser.parseTcp(m) : DnsParser.parse(m);
    }

    static FlowRecord.Dns dns(DnsParse parsed, boolean request) {
        String type = request ? "REQUEST" : "RESPONSE";
        if (parsed instanceof DnsParse.Malformed bad) {
            return new FlowRecord.Dns(type, null, List.of(), 0, List.of(), -1, List.of(), List.of(), false, bad.why());
        }
        DnsMessage m = (DnsMessage) parsed;
        List<String> qtypes = new ArrayList<>();
        m.questions().forEach(q -> qtypes.add(DnsParser.typeName(q.type())));
        List<String> ips = new ArrayList<>();
        List<String> cnames = new ArrayList<>();
        List<String> rrtypes = new ArrayList<>();
        long ttl = -1;
        for (DnsMessage.Answer a : m.answers()) {
            rrtypes.add(DnsParser.typeName(a.type()));
            if (a.value() != null && a.type() == DnsParser.TYPE_CNAME) {
                cnames.add(a.value());
            } else if (a.value() != null) {
                ips.add(a.value());
                ttl = ttl < 0 ? a.ttl() : Math.min(ttl, a.ttl());
            }
        }
        return new FlowRecord.Dns(m.response() ? "RESPONSE" : "REQUEST", m.query(), qtypes, m.rcode(), ips, ttl, cnames,
                rrtypes.stream().distinct().toList(), m.partial(), null);
    }

    static String summary(FlowRecord.Dns d) {
        if (d.error() != null) {
            return "DNS malformed: " + d.error();
        }
        String q = d.query() + " " + String.join(",", d.qtypes());
        if (d.type().equals("REQUEST")) {
            return "DNS Query " + q;
        }
        if (d.rcode() != 0) {
            return "DNS Answer RCode: " + DnsParser.rcodeName(d.rcode()) + " (" + q + ")";
        }
        String answer = d.ips().isEmpty() ? String.join(",", d.cnames()) : String.join(",", d.ips());
        return "DNS Answer \"" + answer + "\"" + (d.ttl() >= 0 ? " TTL: " + d.ttl() : "") + " (" + q + ")"
                + (d.partial() ? " [cut]" : "");
    }
}
