package dev.weir.agent.service;

import dev.weir.agent.net.Protocol;

/**
 * One backend ({@code lb_backend}): an endpoint address and the pod port, shared by every service that
 * uses it. Immutable.
 *
 * @param id        backend id (1..)
 * @param address   the endpoint's first address
 * @param port      the pod port (from the EndpointSlice)
 * @param protocol  TCP or UDP
 * @param state     ACTIVE, TERMINATING, QUARANTINED or MAINTENANCE
 * @param node      the node it runs on, or null
 * @param targetRef what it is, e.g. {@code Pod x/a}, or null
 */
public record LbBackend(int id, IpAddress address, int port, Protocol protocol, BackendState state, String node,
                        String targetRef) {

    /** {@code addr:port/PROTO}: the backend's identity (and its id allocator key). */
    public String key() {
        return BackendOverrides.key(address, port, protocol);
    }
}
