package dev.weir.agent.service;

import java.util.List;

/**
 * What one {@link IncrementalServiceEngine#update} changed in a node's {@link LbState}: the entries of the
 * services it recomputed as they were and as they are (a service, frontend or backend in {@code after} and
 * not in {@code before} is new; the reverse, gone; unchanged ones may be in both), and the backends whose
 * entry changed, appeared or went. Every entry of the state that is in neither list is as it was. The state
 * it leads from is {@code from}, the one it leads to {@code to} (versions the engine's owner numbers), so a
 * writer that did not write {@code from} knows to diff the whole state instead. Immutable.
 */
public record LbChange(long from, long to, List<LbFrontend> frontendsBefore, List<LbFrontend> frontendsAfter,
                       List<LbService> servicesBefore, List<LbService> servicesAfter,
                       List<LbBackend> backendsBefore, List<LbBackend> backendsAfter) {

    public LbChange {
        frontendsBefore = List.copyOf(frontendsBefore);
        frontendsAfter = List.copyOf(frontendsAfter);
        servicesBefore = List.copyOf(servicesBefore);
        servicesAfter = List.copyOf(servicesAfter);
        backendsBefore = List.copyOf(backendsBefore);
        backendsAfter = List.copyOf(backendsAfter);
    }

    /** The same change, between the owner's versions {@code from} and {@code to}. */
    public LbChange between(long from, long to) {
        return new LbChange(from, to, frontendsBefore, frontendsAfter, servicesBefore, servicesAfter, backendsBefore,
                backendsAfter);
    }

    /** True when nothing changed. */
    public boolean isEmpty() {
        return frontendsBefore.equals(frontendsAfter) && servicesBefore.equals(servicesAfter)
                && backendsBefore.equals(backendsAfter);
    }
}
