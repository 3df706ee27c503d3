package dev.weir.agent.flow;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.weir.agent.runtime.Component;

/**
 * The agent's flow history: a bounded ring of decorated flows that {@code weir observe} queries, plus live
 * followers. It is the {@link FlowSink} the kernel adapter feeds. Loss is counted, never silent:
 * {@link Counters#kernelLost} (the ring buffer was full in the kernel), {@link Counters#evicted} (older
 * flows pushed out of the history; expected), and per follower the flows it was too slow to take.
 *
 * <p>Lifetime: created with the agent; {@link #stop} ends every follower. Thread-safe.
 */
public final class FlowHistory implements FlowSink, Component {

    /** @param capacity flows kept; @param followerQueue flows buffered per follower before it loses some */
    public record Config(int capacity, int followerQueue) {
        public Config {
            if (capacity < 1 || followerQueue < 1) {
                throw new IllegalArgumentException("flow history sizes must be positive");
            }
        }

        public static Config defaults() {
            return new Config(8192, 1024);
        }
    }

    /**
     * @param seen        flows published since start
     * @param kernelLost  events the kernel could not deliver (ring buffer full)
     * @param evicted     flows pushed out of the history by newer ones
     * @param followerLost flows live followers missed because they were slow
     */
    public record Counters(long seen, long kernelLost, long evicted, long followerLost, int stored, int capacity) {
    }

    private final Config config;
    private final FlowDecorator decorator;
    private final ArrayDeque<FlowRecord> ring;
    private final List<Follower> followers = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<FlowRecord>> taps = new CopyOnWriteArrayList<>();
    private long seq;
    private long kernelLost;
    private long lastKernelTotal;
    private long evicted;
    private long followerLost;

    public FlowHistory(Config config, FlowDecorator decorator) {
        this.config = config;
        this.decorator = decorator;
        this.ring = new ArrayDeque<>(Math.min(config.capacity(), 65536));
    }

    @Override
    public String name() {
        return "flow-history";
    }

    @Override
    public void start() {
    }

    @Override
    public void stop() {
        followers.forEach(Follower::close);
        followers.clear();
    }

    @Override
    public void publish(RawFlowEvent event) {
        add(s -> decorator.decorate(event, s));
    }

    @Override
    public void publishDns(RawDnsEvent event) {
        add(s -> decorator.decorateDns(event, s));
    }

    private void add(java.util.function.LongFunction<FlowRecord> decorate) {
        FlowRecord f;
        synchronized (this) {
            f = decorate.apply(++seq);
            if (ring.size() == config.capacity()) {
                ring.removeFirst();
                evicted++;
            }
            ring.addLast(f);
        }
        taps.forEach(t -> t.accept(f));
        for (Follower fo : followers) {
            if (!fo.offer(f)) {
                synchronized (this) {
                    followerLost++;
                }
            }
        }
    }

    @Override
    public synchronized void kernelLostTotal(long total) {
        if (total < lastKernelTotal) {
            lastKernelTotal = 0;
        }
        kernelLost += total - lastKernelTotal;
        lastKernelTotal = total;
    }

    public synchronized Counters counters() {
        return new Counters(seq, kernelLost, evicted, followerLost, ring.size(), config.capacity());
    }

    /** The last {@code last} flows matching the filter (all matching when {@code last <= 0}), oldest first. */
    public List<FlowRecord> query(FlowFilter filter, int last) {
        List<FlowRecord> snapshot;
        synchronized (this) {
            snapshot = new ArrayList<>(ring);
        }
        List<FlowRecord> out = snapshot.stream().filter(filter::matches).toList();
        return last > 0 && out.size() > last ? out.subList(out.size() - last, out.size()) : out;
    }

    /** Hands every new flow to {@code tap} (quickly: on the thread that drains the datapath's events). */
    public void tap(java.util.function.Consumer<FlowRecord> tap) {
        taps.add(tap);
    }

    /** Starts following new flows that match; close the follower to stop. */
    public Follower follow(FlowFilter filter) {
        Follower f = new Follower(filter, config.followerQueue(), this);
        followers.add(f);
        return f;
    }

    /** A live subscription: {@link #next} takes the next matching flow. Used by one thread. */
    public static final class Follower implements AutoCloseable {
        private static final FlowRecord END = new FlowRecord(-1, java.time.Instant.EPOCH, Verdict.VERDICT_UNKNOWN, 0,
                null, "", 0, null, null, new FlowPeer(0, null, null, List.of()), new FlowPeer(0, null, null, List.of()),
                "", 0, 0, List.of(), "", false, "", 0, null, "");
        private final FlowFilter filter;
        private final BlockingQueue<FlowRecord> queue;
        private final FlowHistory owner;
        private long lost;
        private volatile boolean closed;

        Follower(FlowFilter filter, int capacity, FlowHistory owner) {
            this.filter = Objects.requireNonNull(filter);
            this.queue = new ArrayBlockingQueue<>(capacity + 1);
            this.owner = owner;
        }

        boolean offer(FlowRecord f) {
            if (closed || !filter.matches(f)) {
                return true;
            }
            if (queue.remainingCapacity() <= 1 || !queue.offer(f)) {
                synchronized (this) {
                    lost++;
                }
                return false;
            }
            return true;
        }

        /** The next flow, or null after the timeout; {@link IllegalStateException} once closed. */
        public FlowRecord next(long timeoutMs) throws InterruptedException {
            FlowRecord f = queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (f == END || (f == null && closed)) {
                closed = true;
                throw new IllegalStateException("the flow history stopped");
            }
            return f;
        }

        /** Flows this follower missed because it was slow. */
        public synchronized long lost() {
            return lost;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                owner.followers.remove(this);
                queue.offer(END);
            }
        }
    }
}
