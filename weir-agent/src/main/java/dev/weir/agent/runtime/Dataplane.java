package dev.weir.agent.runtime;

import dev.weir.agent.endpoint.ClusterState;

/**
 * Where computed policy goes: the kernel adapter ({@code datapath.KernelDataplane}, over {@code ep_by_ifindex},
 * {@code ipcache} and {@code pol} with the generation flip of docs/policy-datapath.md), or a test's recorder.
 * As a {@link Component} it loads/attaches (or restores from pins) on start and leaves programs attached
 * and maps pinned on stop, so that restarting the agent does not disturb traffic.
 *
 * <p>Called from the sync loop's single thread only, but for the methods said to be thread-safe.
 *
 * @param <R> the engine's result type
 */
public interface Dataplane<R> extends Component {

    /** One complete desired state for this node. */
    record Update<R>(long revision, String node, ClusterState cluster, R result) {
    }

    /**
     * Makes the dataplane enforce the update; when it returns, new connections see it.
     *
     * @throws RuntimeException when the kernel refuses; the sync loop reports it and retries
     */
    void apply(Update<R> update);

    /** What {@code weir status} shows about this dataplane beyond its name (e.g. {@code serviceLb}); thread-safe. */
    default java.util.Map<String, String> details() {
        return java.util.Map.of();
    }

    /** How many entries a BPF map holds and how many it can hold. */
    record MapFill(long entries, long capacity) {
        /** entries / capacity (0 for a map of no capacity). */
        public double pressure() {
            return capacity == 0 ? 0 : (double) entries / capacity;
        }
    }

    /** The fill of each of its BPF maps that has a capacity, by map name; thread-safe and cheap (no map walked). */
    default java.util.Map<String, MapFill> mapFill() {
        return java.util.Map.of();
    }

    /**
     * The per-reason counters of its programs, by program (object) name, by reason code: {packets, bytes};
     * thread-safe.
     */
    default java.util.Map<String, java.util.Map<Integer, long[]>> programCounters() {
        return java.util.Map.of();
    }

    /** The MTU the node's pods get when the CNI configuration names none (null: the kernel's default). */
    default Integer podMtu() {
        return null;
    }

    /**
     * Readies a new pod's interface ahead of the sync that first writes the pod's entries (a CNI ADD, off the sync
     * loop's thread): the sync then finds the programs attached and only writes maps. The interface is kept while
     * the returned handle is open, even by a sync that does not know its endpoint yet; close it when the ADD is
     * over. Thread-safe.
     *
     * @param netns the node's network namespace (a name under /run/netns), or null for this one
     */
    default Readied ready(String netns, String iface) {
        return () -> { };
    }

    /** What {@link #ready} holds; closing it never throws. */
    interface Readied extends AutoCloseable {
        @Override
        void close();
    }
}
