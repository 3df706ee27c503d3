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
