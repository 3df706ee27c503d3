package dev.weir.agent.service;

import java.util.List;
import java.util.Optional;

/**
 * The load-balancer state of one node, as {@code docs/service-datapath.md} needs it: frontends
 * ({@code lb_svc}, {@code lb_revnat}), services with their active slots and Maglev tables ({@code lb_slot},
 * {@code lb_maglev}), and backends ({@code lb_backend}). Slot generations are the map writer's business:
 * it flips a service's generation when its slots or table differ from what it wrote last. Immutable and
 * deterministic: the same input (and allocator history) gives an equal state.
 *
 * @param node      the node it is for
 * @param frontends by address, port, protocol, client scope
 * @param services  by key
 * @param backends  by address, port, protocol
 * @param pending   EndpointSlices waiting for their Service ({@code namespace/name})
 * @param warnings  the catalog's warnings and the engine's notes
 */
public record LbState(String node, List<LbFrontend> frontends, List<LbService> services, List<LbBackend> backends,
                      List<String> pending, List<String> warnings) {

    public LbState {
        frontends = List.copyOf(frontends);
        services = List.copyOf(services);
        backends = List.copyOf(backends);
        pending = List.copyOf(pending);
        warnings = List.copyOf(warnings);
    }

    public Optional<LbService> service(int id) {
        return services.stream().filter(s -> s.id() == id).findFirst();
    }

    public Optional<LbBackend> backend(int id) {
        return backends.stream().filter(b -> b.id() == id).findFirst();
    }
}
