package dev.weir.agent.service;

import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.net.Protocol;

/**
 * Operator-set backend states (QUARANTINED, MAINTENANCE) that the service engine applies on top of the
 * EndpointSlices' conditions, for {@code weir service backend ...} later. A key is a backend
 * ({@code 10.244.1.10:80/TCP}, {@code [fd00:10:244:1::10]:80/TCP}) or a whole address
 * ({@code 10.244.1.10}); the exact backend wins over the address. An override applies to an active
 * backend only: a terminating one stays TERMINATING. Immutable.
 *
 * @param states state by key
 */
public record BackendOverrides(Map<String, BackendState> states) {

    public static final BackendOverrides NONE = new BackendOverrides(Map.of());

    public BackendOverrides {
        states = Map.copyOf(new TreeMap<>(states));
        states.forEach((k, v) -> {
            if (v != BackendState.QUARANTINED && v != BackendState.MAINTENANCE) {
                throw new IllegalArgumentException("override " + k + " = " + v + ": only QUARANTINED or MAINTENANCE can be set");
            }
        });
    }

    /** The store's kind for one override ({@code weir service backend quarantine|maintenance}). */
    public static final String KIND = "BackendOverride";

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * The key of {@code ADDR:PORT} ({@code 10.244.1.10:80}, {@code [fd00::1]:80}) or a bare address, with
     * the protocol (TCP or UDP) for the former.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String parseKey(String backend, String protocol) {
        String text = backend.strip();
        int colon = text.lastIndexOf(':');
        boolean v6 = text.startsWith("[");
        if (v6 ? !text.contains("]:") : colon < 0 || text.indexOf(':') != colon) {
            return IpAddress.parse(v6 ? text.substring(1, text.length() - 1) : text).toString();
        }
        String host = v6 ? text.substring(1, text.indexOf("]:")) : text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad backend '" + backend + "': expected ADDR:PORT, [ADDR6]:PORT or ADDR");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad backend '" + backend + "': port " + port + " out of range 1..65535");
        }
        Protocol p = Protocol.parse(protocol == null ? "TCP" : protocol);
        if (p != Protocol.TCP && p != Protocol.UDP) {
            throw new IllegalArgumentException("bad protocol '" + protocol + "': TCP or UDP");
        }
        return key(IpAddress.parse(host), port, p);
    }

    /** A stored override object: {@code weir.dev/v1 BackendOverride} naming the key and the state. */
    public static String document(String key, BackendState state) {
        var doc = JSON.createObjectNode().put("apiVersion", "weir.dev/v1").put("kind", KIND);
        doc.putObject("metadata").put("name", key);
        doc.putObject("spec").put("backend", key).put("state", state.name().toLowerCase(java.util.Locale.ROOT));
        return doc.toString();
    }

    /**
     * The overrides stored as {@link #document}s.
     *
     * @throws IllegalArgumentException when one is not such a document
     */
    public static BackendOverrides fromDocuments(java.util.Collection<String> documents) {
        Map<String, BackendState> states = new TreeMap<>();
        for (String d : documents) {
            try {
                var spec = JSON.readTree(d).path("spec");
                states.put(spec.path("backend").asText(), BackendState.valueOf(spec.path("state").asText().toUpperCase(java.util.Locale.ROOT)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("not a BackendOverride: " + e.getOriginalMessage(), e);
            }
        }
        return new BackendOverrides(states);
    }

    /** The key of one backend: {@code addr:port/PROTO}. */
    public static String key(IpAddress address, int port, Protocol protocol) {
        return address.withPort(port) + "/" + protocol;
    }

    /** The state of a backend whose slices say {@code base}. */
    BackendState apply(IpAddress address, int port, Protocol protocol, BackendState base) {
        if (base != BackendState.ACTIVE) {
            return base;
        }
        BackendState s = states.get(key(address, port, protocol));
        if (s == null) {
            s = states.get(address.toString());
        }
        return s == null ? base : s;
    }
}
