package dev.weir.cli.ui;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.flow.FlowApi;
import dev.weir.cli.output.Json;

/**
 * A page's query string turned into the agents' flow filter. The names are the agent API's (Hubble's, as
 * {@code weir observe} sends them): {@code verdict}, {@code from_pod}, {@code to_pod}, {@code pod},
 * {@code namespace}, {@code port}, {@code protocol}, {@code from_label}, {@code to_label}, {@code service},
 * {@code fqdn}, each
 * repeatable (values of one filter OR, different filters AND); {@code last} bounds the flows (default
 * {@value #DEFAULT_LAST}, at most {@value #MAX_LAST}); {@code id} names an edge ({@code /api/edge}). Empty values
 * are ignored. Immutable.
 *
 * @param params FlowApi's parameters, {@code last} included
 * @param last   how many of the newest flows
 * @param id     the {@code id} parameter, or null
 */
record FlowParams(ObjectNode params, int last, String id) {

    static final int DEFAULT_LAST = 300;
    static final int MAX_LAST = 2000;
    private static final List<String> FILTERS = List.of("verdict", "from_pod", "to_pod", "pod", "namespace", "port",
            "protocol", "from_label", "to_label", "service", "fqdn");
    private static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "sctp", "icmp", "icmpv6");

    /**
     * Reads a raw query string (null for none).
     *
     * @throws IllegalArgumentException naming the parameter and what is wrong with it
     */
    static FlowParams parse(String rawQuery) {
        Map<String, List<String>> q = decode(rawQuery);
        ObjectNode p = Json.mapper().createObjectNode();
        for (String name : FILTERS) {
            var values = p.putArray(name);
            for (String v : q.getOrDefault(name, List.of())) {
                switch (name) {
                    case "port" -> values.add(number(name, v, 0, 65535));
                    case "protocol" -> values.add(protocol(v));
                    default -> values.add(v);
                }
            }
        }
        int last = q.containsKey("last") ? number("last", q.get("last").getLast(), 1, MAX_LAST) : DEFAULT_LAST;
        p.put("last", last);
        FlowApi.filter(p); // the agent's own check (verdicts, fqdn patterns)
        List<String> id = q.getOrDefault("id", List.of());
        return new FlowParams(p, last, id.isEmpty() ? null : id.getLast());
    }

    private static Map<String, List<String>> decode(String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8).strip();
            if (!FILTERS.contains(name) && !name.equals("last") && !name.equals("id")) {
                throw new IllegalArgumentException("unknown parameter '" + name + "' (filters: "
                        + String.join(", ", FILTERS) + "; last, id)");
            }
            if (!value.isEmpty()) {
                out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            }
        }
        return out;
    }

    private static int number(String name, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(name + ": '" + value + "' is not a number from " + min + " to " + max);
    }

    private static String protocol(String value) {
        String p = value.toLowerCase(java.util.Locale.ROOT);
        if (!PROTOCOLS.contains(p)) {
            throw new IllegalArgumentException("protocol: '" + value + "' is not tcp, udp, sctp, icmp or icmpv6");
        }
        return p;
    }
}
