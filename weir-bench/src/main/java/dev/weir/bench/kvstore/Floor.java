package dev.weir.bench.kvstore;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.weir.agent.store.etcd.Etcd;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;

/**
 * The floor under a propagation sample: one put through one client, timed until a watch on another client
 * delivers it, outside weir's prefix (so no simulated node sees it). What etcd's commit and one watch delivery
 * cost on this machine at that moment, without any fan-out. Lifetime: {@link #open} to {@link #close}.
 */
final class Floor implements AutoCloseable {

    private static final String KEY = "kvbench/floor";

    private final Etcd writer;
    private final Etcd reader;
    private final Watch.Watcher watcher;
    private final BlockingQueue<Long> seen = new LinkedBlockingQueue<>();
    private final CountDownLatch created = new CountDownLatch(1);
    private long value;

    private Floor(Etcd writer, Etcd reader) {
        this.writer = writer;
        this.reader = reader;
        WatchOption created = WatchOption.builder().withCreateNotify(true).build();
        this.watcher = reader.client().getWatchClient().watch(Etcd.bytes(KEY), created, Watch.listener(r -> {
            if (!r.getEvents().isEmpty()) {
                seen.add(System.nanoTime());
            } else {
                this.created.countDown();
            }
        }));
    }

    /**
     * Two clients of their own and the watch, established.
     *
     * @throws IllegalStateException when the watch is not created within 30 s
     */
    static Floor open(List<URI> endpoints, Duration timeout) throws InterruptedException {
        Floor f = new Floor(Etcd.connect(new Etcd.Config(endpoints, "kvbench/", timeout)),
                Etcd.connect(new Etcd.Config(endpoints, "kvbench/", timeout)));
        if (!f.created.await(30, TimeUnit.SECONDS)) {
            f.close();
            throw new IllegalStateException("the floor's watch was not created within 30 s");
        }
        return f;
    }

    /**
     * One put to its watch event, in nanoseconds.
     *
     * @throws IllegalStateException when no event came within 30 s
     */
    long sample() throws InterruptedException {
        seen.clear();
        long t0 = System.nanoTime();
        writer.call("floor put", () -> writer.client().getKVClient().put(Etcd.bytes(KEY), Etcd.bytes(Long.toString(++value))));
        Long at = seen.poll(30, TimeUnit.SECONDS);
        if (at == null) {
            throw new IllegalStateException("the floor's watch delivered no event within 30 s");
        }
        return at - t0;
    }

    @Override
    public void close() {
        watcher.close();
        writer.close();
        reader.close();
    }
}
