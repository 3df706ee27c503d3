package dev.weir.agent.runtime;

/**
 * Packet and byte counters of a policy entry as the datapath counts them (connections decided by the
 * entry's map blocks), for {@code weir policy get}. The kernel dataplane implements it; {@link #NONE}
 * knows none. Thread-safe.
 */
public interface EntryCounters {

    /** {packets, bytes} for the endpoint's entry, or null when unknown. */
    long[] counters(int endpointId, StateView.Entry entry);

    EntryCounters NONE = (ep, e) -> null;
}
