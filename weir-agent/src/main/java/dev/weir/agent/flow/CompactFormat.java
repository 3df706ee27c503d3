package dev.weir.agent.flow;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Renders a flow, given as its Hubble JSON ({@link HubbleJson}), as one line in the style of
 * {@code hubble observe} (compact):
 * <pre>
 * Jun  2 12:00:00.123: x/a:43210 (ID:256) -> y/b:80 (ID:257) policy-verdict:L3-L4 INGRESS ALLOWED (TCP Flags: SYN)
 * Jun  2 12:00:00.125: x/a:43212 (ID:256) -> z/c:81 (ID:259) policy-verdict:none INGRESS DENIED (TCP Flags: SYN)
 * Jun  2 12:00:01.001: x/a:43214 (ID:256) -> y/b:80 (ID:257) via x/web (10.96.0.10:80) policy-verdict:L3-L4 EGRESS ALLOWED (TCP Flags: SYN)
 * Jun  2 12:00:02.000: x/a:41000 (ID:256) -> y/b:53 (ID:257) dns-request FORWARDED (DNS Query www.example.org. A)
 * Jun  2 12:00:02.100: x/a:43216 (ID:256) -> www.example.org(192.0.2.1):443 (world) policy-verdict:none EGRESS ALLOWED (TCP Flags: SYN)
 * </pre>
 * Replies print with the sides swapped and {@code <-}, as Hubble does. It works from JSON so that the CLI
 * can render what agents send. Stateless.
 */
public final class CompactFormat {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss.SSS", Locale.ROOT);
    private static final String[] MATCH = {"none", "L3-Only", "L3-L4", "L4-Only", "all"};

    private CompactFormat() {
    }

    public static String line(JsonNode flow, ZoneId zone) {
        String time = TIME.format(java.time.Instant.parse(flow.path("time").asText()).atZone(zone));
        String l4 = l4Key(flow.path("l4"));
        String src = endpoint(flow.path("IP").path("source").asText(), flow.path("source"),
                flow.path("l4").path(l4).path("source_port").asInt(0), flow.path("source_names"));
        String dst = endpoint(flow.path("IP").path("destination").asText(), flow.path("destination"),
                flow.path("l4").path(l4).path("destination_port").asInt(0), flow.path("destination_names"));
        String arrow = "->";
        JsonNode svc = flow.has("destination_service") ? flow.path("destination_service") : flow.path("source_service");
        if (!svc.isMissingNode()) {
            dst = dst + " via " + svc.path("namespace").asText() + "/" + svc.path("name").asText() + " ("
                    + svc.path("frontend").asText() + ")";
        }
        if (flow.path("is_reply").asBoolean(false)) {
            String t = src;
            src = dst;
            dst = t;
            arrow = "<-";
        }
        return time + ": " + src + " " + arrow + " " + dst + " " + event(flow) + " (" + flow.path("Summary").asText() + ")";
    }

    private static String event(JsonNode flow) {
        String verdict = flow.path("verdict").asText();
        String dir = flow.path("traffic_direction").asText();
        int match = flow.path("policy_match_type").asInt(0);
        if (flow.has("l7") && !verdict.equals("DROPPED")) {
            return (flow.path("l7").path("type").asText().equals("REQUEST") ? "dns-request" : "dns-response") + " " + verdict;
        }
        return switch (verdict) {
            case "DROPPED" -> flow.path("drop_reason_desc").asText("") + " DROPPED";
            case "AUDIT" -> "policy-verdict:" + matchName(match) + " " + dir + " AUDITED";
            case "TRACED" -> (dir.equals("INGRESS") ? "to-endpoint" : "from-endpoint") + " FORWARDED";
            case "TRANSLATED" -> (flow.path("Summary").asText().endsWith("by the underlay") ? "nodeport-xlate" : "sock-xlate-fwd")
                    + " TRANSLATED";
            default -> "policy-verdict:" + matchName(match) + " " + dir + " ALLOWED";
        };
    }

    private static String matchName(int m) {
        return m >= 0 && m < MATCH.length ? MATCH[m] : Integer.toString(m);
    }

    private static String l4Key(JsonNode l4) {
        var names = l4.fieldNames();
        return names.hasNext() ? names.next() : "";
    }

    /** A pod by its name; else an address by the DNS name its pod resolved to it ({@code example.org(10.0.0.1)}); else the address. */
    private static String endpoint(String ip, JsonNode peer, int port, JsonNode names) {
        String who = peer.has("pod_name") ? peer.path("namespace").asText() + "/" + peer.path("pod_name").asText()
                : names.isArray() && !names.isEmpty() ? names.get(0).asText() + "(" + ip + ")" : ip;
        String withPort = port > 0 ? who + ":" + port : who;
        int id = peer.path("identity").asInt(0);
        String idText = switch (id) {
            case 1 -> "host";
            case 2, 0 -> "world";
            case 6 -> "remote-node";
            default -> "ID:" + id;
        };
        return withPort + " (" + idText + ")";
    }
}
