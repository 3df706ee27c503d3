package dev.weir.agent.datapath;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.flow.FlowSink;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.DnsEvent;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.FlowEvent;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.RingBufferReader;

/**
 * One platform thread that drains {@code flow_events} and {@code dns_events} into the flow sink, reports the
 * kernel's lost-event total every second, and deletes expired conntrack entries every ten. Lives between
 * {@link #start} and {@link #stop}; the ring buffer readers belong to it.
 *
 * <p>Order: the DNS ring is drained before each flow event is published, so that a DNS response the kernel
 * wrote before a flow event (the pod's connection to the address it resolved) is decorated first and names
 * that flow's destination.
 */
final class FlowPump {

    private static final Duration POLL = Duration.ofMillis(100);
    private static final long LOST_EVERY_NS = 1_000_000_000L;
    private static final long GC_EVERY_NS = 10_000_000_000L;

    private final BpfObject obj;
    private final KernelPolicyDataplane.NodeMaps maps;
    private final Supplier<FlowSink> sink;
    private final Consumer<String> log;
    private final long wallMinusMono = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private volatile boolean running;
    private Thread thread;
    /** dns_events: read on the pump's thread only. */
    private RingBufferReader dns;

    FlowPump(BpfObject obj, KernelPolicyDataplane.NodeMaps maps, Supplier<FlowSink> sink, Consumer<String> log) {
        this.obj = obj;
        this.maps = maps;
        this.sink = sink;
        this.log = log;
    }

    void start() {
        running = true;
        dns = RingBufferReader.open(obj.map(EndpointMaps.DNS_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                seg -> sink.get().publishDns(FlowEvents.raw(DnsEvent.decode(seg), wallMinusMono)));
        RingBufferReader reader = RingBufferReader.open(obj.map(EndpointMaps.FLOW_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                seg -> publish(FlowEvent.decode(seg)));
        thread = Thread.ofPlatform().name("flow-pump").daemon().start(() -> run(reader));
    }

    void stop() {
        running = false;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run(RingBufferReader reader) {
        long lastLost = 0;
        long lastGc = System.nanoTime();
        try (reader; RingBufferReader dnsReader = dns) {
            while (running) {
                dns.drain();
                reader.poll(POLL);
                long now = System.nanoTime();
                if (now - lastLost >= LOST_EVERY_NS) {
                    lastLost = now;
                    Counter lost = maps.stats.lookupSum(DropReason.EVENTS_LOST.code(),
                            (a, b) -> new Counter(a.packets() + b.packets(), a.bytes() + b.bytes()));
                    sink.get().kernelLostTotal(lost == null ? 0 : lost.packets());
                }
                if (now - lastGc >= GC_EVERY_NS) {
                    lastGc = now;
                    collectConntrack(now);
                }
            }
        } catch (RuntimeException e) {
            log.accept("flow pump stopped: " + e);
        }
    }

    /**
     * Deletes entries past their deadline (the datapath already treats them as absent) from the endpoints'
     * conntrack and from np_ct (both entries of a connection share one deadline; an expired REV entry's SNAT
     * port was free already).
     */
    private void collectConntrack(long nowMono) {
        int removed = collect(maps.ct, v -> v.expiresNs() < nowMono);
        int npRemoved = collect(maps.npCt, v -> v.expiresNs() < nowMono);
        if (removed + npRemoved > 0) {
            log.accept("conntrack: collected " + removed + " expired entries, np_ct " + npRemoved);
        }
    }

    static <K, V> int collect(dev.weir.ebpf.BpfMap<K, V> map, java.util.function.Predicate<V> expired) {
        int removed = 0;
        for (var e : map.entries().entrySet()) {
            if (expired.test(e.getValue()) && map.delete(e.getKey())) {
                removed++;
            }
        }
        return removed;
    }

    private void publish(FlowEvent e) {
        dns.drain();
        sink.get().publish(FlowEvents.raw(e, wallMinusMono));
    }
}
