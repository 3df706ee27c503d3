package dev.weir.bench.flows;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import dev.weir.agent.datapath.FlowEvents;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.flow.FlowDecorator;
import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.runtime.EnginePolicyCompiler;
import dev.weir.bench.policy.NetpolModel;
import dev.weir.bench.policy.TcFrames;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpCfg;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.FlowEvent;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.RingBufferReader;
import dev.weir.ebpf.TestRun;

/**
 * The agent's flow pipeline fed by the kernel: {@code tc_endpoint} loaded unpinned, ns-0/pod-0 of
 * {@link NetpolModel} (1,000 policies resolved, ipcache written) at lo's ifindex with its ingress enforced
 * and no entries, so that every test run of a SYN from ns-5/pod-2 is a DROP_POLICY with one flow event in
 * {@code flow_events}. A reader thread does what the agent's {@code FlowPump} does — {@code ring_buffer__poll},
 * {@link FlowEvent#decode}, {@link FlowEvents#raw}, {@link FlowHistory#publish} (decorated against that
 * cluster and policy view) — while the caller offers events at a paced rate. Owns the object and the reader
 * thread; {@link #close()} stops and frees both.
 */
final class FlowPipeline implements AutoCloseable {

    /** One rate step: what was offered, delivered and lost, and what the reader spent. */
    record Step(long targetRate, double seconds, long offered, long delivered, long lost, long readerCpuNs) {
        double offeredRate() {
            return offered / seconds;
        }

        double deliveredRate() {
            return delivered / seconds;
        }

        double readerNsPerEvent() {
            return delivered == 0 ? 0 : (double) readerCpuNs / delivered;
        }
    }

    private final BpfObject obj;
    private final BpfPerCpuMap<Integer, Counter> stats;
    private final FlowHistory history;
    private final byte[] frame;
    private final long wallMinusMono = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    private final AtomicLong delivered = new AtomicLong();
    private final Thread reader;
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile long readerTid;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    FlowPipeline(int ringBytes, int historyCapacity) {
        ClusterSnapshot snap = NetpolModel.cluster().withPolicies(new PolicyParser().parse(NetpolModel.policiesYaml(1000), "bench"));
        PolicyResult result = new PolicyEngine().resolve(snap, new InMemoryIdentityAllocator());
        FlowDecorator decorator = new FlowDecorator(NetpolModel.NODE);
        decorator.update(new ClusterState(snap.nodes(), snap.namespaces(), snap.endpoints()),
                new EnginePolicyCompiler().view(result));
        history = new FlowHistory(new FlowHistory.Config(historyCapacity, 1024), decorator);

        ObjectSpec spec = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        obj = BpfObject.load(spec, LoadOptions.builder().maxEntries(EndpointMaps.FLOW_EVENTS, ringBytes)
                .maxEntries(EndpointMaps.IPCACHE, 4096).maxEntries(EndpointMaps.POL, 1024).build());
        try {
            BpfMap<IpcacheKey, IpcacheVal> ipcache = obj.map(EndpointMaps.IPCACHE, IpcacheKey.CODEC, IpcacheVal.CODEC);
            result.ipcache().forEach((c, id) -> ipcache.put(key(c), IpcacheVal.of(id)));
            int podIdentity = result.endpoint(1).identity();
            obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC).put(NetInterface.index("lo"),
                    new EpInfo(1, podIdentity, EpInfo.INGRESS_ENFORCED, 0));
            obj.map(EndpointMaps.CFG, Codec.u32(), EpCfg.CODEC).put(0, EpCfg.DEFAULTS);
            stats = obj.perCpuMap(EndpointMaps.STATS, Codec.u32(), Counter.CODEC);
            var src = snap.endpoints().get(5 * NetpolModel.PODS_PER_NAMESPACE + 2);
            frame = TcFrames.tcp4(Cidr.parse(src.ipv4()).address(), Cidr.parse(snap.endpoints().getFirst().ipv4()).address(),
                    40_000, 8080, TcFrames.SYN);
            RingBufferReader rb = RingBufferReader.open(obj.map(EndpointMaps.FLOW_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                    seg -> {
                        history.publish(FlowEvents.raw(FlowEvent.decode(seg), wallMinusMono));
                        delivered.incrementAndGet();
                    });
            reader = Thread.ofPlatform().name("bench-flow-pump").start(() -> read(rb));
            started.await();
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        } catch (InterruptedException e) {
            obj.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void read(RingBufferReader rb) {
        readerTid = Thread.currentThread().threadId();
        started.countDown();
        try (rb) {
            while (running) {
                rb.poll(Duration.ofMillis(100));
            }
            rb.drain();
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /** Checks the path once: one run must drop as DROP_POLICY and deliver one event. */
    void check() throws InterruptedException {
        long before = delivered.get();
        long dropsBefore = count(DropReason.DROP_POLICY);
        int action = obj.program(EndpointMaps.TO_EP).testRun(TestRun.of(frame)).retval();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (delivered.get() == before && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        if (action != 2 || count(DropReason.DROP_POLICY) - dropsBefore != 1 || delivered.get() - before != 1) {
            throw new IllegalStateException("the event path does not work: action " + action + ", delivered "
                    + (delivered.get() - before));
        }
        var last = history.query(dev.weir.agent.flow.FlowFilter.ALL, 1).getFirst();
        if (last.source().namespace() == null || last.source().labels().isEmpty()) {
            throw new IllegalStateException("the flow was not decorated: " + last);
        }
    }

    /**
     * Offers events at {@code rate} per second (0: as fast as one thread can) for {@code seconds}, in
     * batches of {@code repeat} test runs, then waits until the reader has taken everything the kernel wrote.
     */
    Step offer(long rate, double seconds) throws InterruptedException {
        int batch = rate == 0 ? 1000 : (int) Math.max(8, Math.min(1000, rate / 10_000));
        TestRun run = TestRun.of(frame).repeat(batch);
        var prog = obj.program(EndpointMaps.TO_EP);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sent0 = count(DropReason.EVENTS_SENT);
        long lost0 = count(DropReason.EVENTS_LOST);
        long del0 = delivered.get();
        long cpu0 = mx.getThreadCpuTime(readerTid);
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long offered = 0;
        long now = t0;
        while (now < end) {
            if (rate != 0) {
                long due = t0 + (long) (offered * 1e9 / rate);
                while ((now = System.nanoTime()) < due) {
                    Thread.onSpinWait();
                }
            }
            prog.testRun(run);
            offered += batch;
            now = System.nanoTime();
        }
        double elapsed = (now - t0) / 1e9;
        long sent = count(DropReason.EVENTS_SENT) - sent0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (delivered.get() - del0 < sent && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        if (failure != null) {
            throw failure;
        }
        history.kernelLostTotal(count(DropReason.EVENTS_LOST)); // as FlowPump reports it, every second
        long lost = count(DropReason.EVENTS_LOST) - lost0;
        long got = delivered.get() - del0;
        if (sent + lost != offered || got != sent) {
            throw new IllegalStateException(String.format("events do not add up: offered %d, written %d, lost %d, read %d",
                    offered, sent, lost, got));
        }
        return new Step(rate, elapsed, offered, got, lost, mx.getThreadCpuTime(readerTid) - cpu0);
    }

    FlowHistory.Counters counters() {
        return history.counters();
    }

    private long count(DropReason r) {
        Counter c = stats.lookupSum(r.code(), Counter::plus);
        return c == null ? 0 : c.packets();
    }

    private static IpcacheKey key(Cidr c) {
        try {
            return IpcacheKey.of(java.net.InetAddress.getByAddress(c.address()), c.length());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            obj.close();
        }
    }
}
