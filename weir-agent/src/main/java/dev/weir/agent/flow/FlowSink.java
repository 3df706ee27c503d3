package dev.weir.agent.flow;

/**
 * What the kernel adapter feeds while draining the {@code flow_events} ring buffer: each event, and the
 * number of events the kernel could not deliver ({@code EVENTS_LOST} in {@code ep_stats}, as a running
 * total). Implementations are thread-safe and never block the caller for long.
 */
public interface FlowSink {

    /** One event from the ring buffer. */
    void publish(RawFlowEvent event);

    /** One DNS message from {@code dns_events} (DNS visibility); ignored unless the sink shows them. */
    default void publishDns(RawDnsEvent event) {
    }

    /**
     * The kernel's running total of lost events (the {@code EVENTS_LOST} counter summed over CPUs); the
     * sink counts the increase. Totals that go down (a reloaded map) restart the count.
     */
    void kernelLostTotal(long total);
}
