package dev.weir.agent.service;

/**
 * Hands out the datapath's numbers: service ids ({@code lb_svc_val.svc_id}, the slot and Maglev key),
 * backend ids ({@code lb_backend}) and rev-NAT ids ({@code lb_revnat}). A key keeps its number until it is
 * released, so recomputing the load-balancer state renumbers nothing; released numbers may be reused.
 * Numbers start at 1 (0 means none in the datapath). The in-memory implementation serves tests and a
 * single agent; the agent's store will back another. Implementations are thread-safe.
 */
public interface LbIdAllocator {

    /** The three numbering spaces. */
    enum Kind { SERVICE, BACKEND, REV_NAT }

    /**
     * The number of {@code key} in its space, allocating the lowest free one when it has none.
     *
     * @throws IllegalStateException when the space is exhausted
     */
    int allocate(Kind kind, String key);

    /**
     * The key's number when this allocator has it at hand (no allocation, no round trip to a store), else 0: for
     * an update that is tried and undone ({@link IncrementalServiceEngine#tryUpdate}).
     */
    int known(Kind kind, String key);

    /** Forgets a key; its number may be handed out again. Unknown keys are ignored. */
    void release(Kind kind, String key);

    /**
     * Runs a computation that allocates many numbers; a persistent allocator writes them once at the
     * end instead of once per key. The default just runs it.
     */
    default <T> T batch(java.util.function.Supplier<T> work) {
        return work.get();
    }
}
