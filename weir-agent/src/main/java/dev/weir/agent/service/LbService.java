package dev.weir.agent.service;

import java.util.List;

import dev.weir.agent.net.Protocol;

/**
 * A datapath service ({@code svc_id}): one port of one Service, in one IP family, with one backend set
 * (all of the Service's backends, or only this node's for the Local traffic policies). The frontends
 * pointing at it share its slots and Maglev table. Immutable.
 *
 * @param id              service id (1..), the slot and Maglev key
 * @param key             allocator key: {@code ns/name/port/family/all|local}
 * @param service         the Service's {@code namespace/name}
 * @param port            the Service port
 * @param family          the IP family of its backends
 * @param scope           ALL backends, or only LOCAL ones (this node's)
 * @param backends        every backend id of the set, any state, in address order
 * @param slots           the active backend ids, slot 1 first (address order); {@code count = slots.size()}
 * @param maglev          the Maglev table (M backend ids), or empty for random selection or no active backend
 * @param healthCheckNodePort the Service's {@code healthCheckNodePort} on its LOCAL set when its
 *                        externalTrafficPolicy is Local (the node answers it with this set's ready backends), else 0
 */
public record LbService(int id, String key, String service, ServicePort port, IpFamily family, Scope scope,
                        List<Integer> backends, List<Integer> slots, List<Integer> maglev, int healthCheckNodePort) {

    /** Which backends of the Service are in the set. */
    public enum Scope { ALL, LOCAL }

    public LbService {
        // as ints: ~240,000 boxed ids per engine at 10,000 services x 10 endpoints, a Maglev table 16,381 a service
        backends = IdList.of(backends);
        slots = IdList.of(slots);
        maglev = IdList.of(maglev);
    }

    public Protocol protocol() {
        return port.protocol();
    }
}
