package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.prefilter.PrefilterRule;
import dev.weir.cli.UserError;

/**
 * The pure parts of {@code weir diagnose path}: reading {@code PROTO/PORT}, which prefilter rule a packet meets
 * (the node's rules as {@code prefilter.status} lists them, judged by {@link PrefilterRule#matches}), and whether
 * the flows the kernel recorded agree with the policy engine's verdict. Stateless.
 */
final class PathLogic {

    private PathLogic() {
    }

    /** {@code TCP/80}, {@code udp/53}, {@code ICMP}: protocol and destination port (0 without ports). */
    record PortSpec(Protocol protocol, int port) {
        @Override
        public String toString() {
            return protocol.name() + (protocol.hasPorts() ? "/" + port : "");
        }
    }

    /** @throws UserError naming what is wrong (exit 2) */
    static PortSpec portSpec(String text) {
        String[] parts = text.split("/", -1);
        Protocol p;
        try {
            p = Protocol.parse(parts[0]);
        } catch (IllegalArgumentException e) {
            throw new UserError("'" + text + "': " + e.getMessage() + "; give PROTO/PORT, e.g. TCP/80");
        }
        if (!p.hasPorts()) {
            if (parts.length > 1) {
                throw new UserError("'" + text + "': " + p.lower() + " has no ports");
            }
            return new PortSpec(p, 0);
        }
        if (parts.length != 2) {
            throw new UserError("'" + text + "': give PROTO/PORT, e.g. TCP/80");
        }
        try {
            int port = Integer.parseInt(parts[1]);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new PortSpec(p, port);
        } catch (NumberFormatException e) {
            throw new UserError("'" + text + "': port '" + parts[1] + "' is not 1-65535");
        }
    }

    /**
     * What a node's prefilter does with the packet.
     *
     * @param rule the deciding rule ({@code #2 deny src 203.0.113.0/24}), or null when none matches
     */
    record PrefilterVerdict(String verdict, String rule, String why) {
    }

    /**
     * The prefilter's answer for a packet, as the datapath decides: a matching deny drops (in dry run: would
     * drop), else in allowlist mode a packet no allow matches drops, else it passes. Rate limits and malformed
     * headers are not judged here.
     *
     * @param status {@code prefilter.status}: {@code mode}, {@code dryRun}, {@code rules[]}
     */
    static PrefilterVerdict prefilter(JsonNode status, String src, String dst, PortSpec spec) {
        byte[] s = Cidr.parseAddress(src, "source");
        byte[] d = Cidr.parseAddress(dst, "destination");
        PrefilterRule allow = null;
        for (JsonNode r : status.path("rules")) {
            PrefilterRule rule = rule(r);
            if (!rule.matches(s, d, spec.protocol(), spec.port())) {
                continue;
            }
            if (rule.action() == PrefilterRule.Action.DENY) {
                boolean dry = rule.dryRun() || status.path("dryRun").asBoolean();
                return new PrefilterVerdict(dry ? "WOULD-DROP" : "DROPPED", describe(r), dry
                        ? "a deny rule in dry run matches: counted, passed" : "a deny rule matches (deny beats allow)");
            }
            allow = allow == null ? rule : allow;
        }
        if (allow != null) {
            return new PrefilterVerdict("PASSED", "#" + allow.id() + " " + allow.describe(), "an allow rule matches");
        }
        if (status.path("mode").asText().equals("allowlist")) {
            boolean dry = status.path("dryRun").asBoolean();
            return new PrefilterVerdict(dry ? "WOULD-DROP" : "DROPPED", null, "allowlist mode and no allow rule matches");
        }
        return new PrefilterVerdict("PASSED", null, "no rule matches (denylist mode)");
    }

    private static PrefilterRule rule(JsonNode r) {
        return new PrefilterRule(r.path("id").asInt(), PrefilterRule.Action.valueOf(r.path("action").asText().toUpperCase(Locale.ROOT)),
                cidr(r.path("src")), cidr(r.path("dst")),
                r.path("proto").isTextual() ? Protocol.parse(r.path("proto").asText()) : null,
                r.path("dport").isTextual() ? PortRange.parse(r.path("dport").asText()) : null, r.path("dryRun").asBoolean());
    }

    private static Cidr cidr(JsonNode n) {
        return n.isTextual() ? Cidr.parse(n.asText()) : null;
    }

    private static String describe(JsonNode r) {
        return "#" + r.path("id").asInt() + " " + r.path("action").asText() + " " + r.path("match").asText();
    }

    /**
     * Whether the kernel agrees.
     *
     * @param answer {@code agrees}, {@code disagrees} or {@code unknown}
     * @param flows  the flows it read, as observe's compact lines would name them
     */
    record Agreement(String answer, String kernelVerdict, List<String> flows) {
    }

    /**
     * Compares the policy verdict with the newest recorded policy verdicts of the connection (a new connection from
     * {@code src} to one of {@code destinations}, not a reply), one per direction: the kernel dropped it when either
     * hook did.
     *
     * @param flows    Hubble flow JSON from the agents' histories, oldest first
     * @param expected ALLOWED, DENIED or AUDIT
     */
    static Agreement agreement(List<JsonNode> flows, String src, Set<String> destinations, String expected) {
        Map<String, JsonNode> newest = new java.util.TreeMap<>();
        for (JsonNode f : flows) {
            String v = f.path("verdict").asText();
            if (f.path("is_reply").asBoolean() || !Set.of("FORWARDED", "DROPPED", "AUDIT").contains(v)
                    || !same(f.path("IP").path("source").asText(), src)
                    || destinations.stream().noneMatch(d -> same(f.path("IP").path("destination").asText(), d))) {
                continue;
            }
            JsonNode was = newest.get(f.path("traffic_direction").asText());
            if (was == null || was.path("time").asText().compareTo(f.path("time").asText()) <= 0) {
                newest.put(f.path("traffic_direction").asText(), f);
            }
        }
        if (newest.isEmpty()) {
            return new Agreement("unknown", null, List.of());
        }
        List<String> lines = new ArrayList<>();
        String kernel = "FORWARDED";
        for (JsonNode f : newest.values()) {
            String v = f.path("verdict").asText();
            lines.add(f.path("time").asText() + " " + f.path("node_name").asText() + " " + f.path("traffic_direction").asText()
                    + " " + v + (f.path("drop_reason_desc").isTextual() ? " " + f.path("drop_reason_desc").asText() : ""));
            if (v.equals("DROPPED") || v.equals("AUDIT") && kernel.equals("FORWARDED")) {
                kernel = v;
            }
        }
        String want = switch (expected) {
            case "DENIED" -> "DROPPED";
            case "AUDIT" -> "AUDIT";
            default -> "FORWARDED";
        };
        return new Agreement(kernel.equals(want) ? "agrees" : "disagrees", kernel, lines);
    }

    private static boolean same(String a, String b) {
        try {
            return java.util.Arrays.equals(Cidr.parseAddress(a, a), Cidr.parseAddress(b, b));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
