package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;

/**
 * What etcd itself costs in an install of 10,000 services x 2 endpoints from empty (docs/benchmarks.md, "etcd's
 * part of the install"), without a lab: on a 3-member etcd started as the lab starts it, the writer's commit of
 * 20,000 objects (about 5 MB) and how soon a second store's watch has it, then both nodes' id batches at once
 * (each 10,000 service, 20,000 backend and 10,000 rev-NAT keys in its own {@code lb-*-NODE} tables, nested as
 * {@code StoreLbIds} nests them), and, for comparison, the same 40,000 mappings per node written as 40 values of
 * 1,000 each. Prints its timings (three rounds on fresh prefixes); checks only that every key got a number of its
 * own and that the follower saw the commit.
 *
 * <p>Not part of the unit suite (its name does not end in {@code Test}): run it on purpose, with
 * {@code mvn -B -q -o -Djacoco.skip=true verify -pl weir-agent -am -Dtest=EtcdInstallProbe
 * -Dsurefire.failIfNoSpecifiedTests=false}; the figures are in
 * {@code weir-agent/target/surefire-reports/dev.weir.agent.store.etcd.EtcdInstallProbe-output.txt}.
 */
class EtcdInstallProbe {

    private static final int SERVICES = 10_000;
    private static final int ROUNDS = 3;

    @RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(3);

    @Test
    void installOfTenThousandServicesTwoEndpointsEach() throws Exception {
        for (int round = 1; round <= ROUNDS; round++) {
            try (EtcdTestSupport t = new EtcdTestSupport(CLUSTER.get(), "probe")) {
                round(t, round);
            }
        }
    }

    private static void round(EtcdTestSupport t, int round) throws Exception {
        EtcdStore writer = t.store(t.client(Duration.ofSeconds(30)));
        EtcdStore follower = t.store(t.client(Duration.ofSeconds(30)));
        long start = System.nanoTime();
        CommitResult r = writer.commit(objects(), (before, after) -> { });
        long committed = System.nanoTime();
        while (follower.snapshot().revision() < r.revision()) {
            Thread.sleep(1);
        }
        long seen = System.nanoTime();
        assertThat(follower.snapshot().objects()).hasSize(2 * SERVICES);
        System.out.printf("round %d: commit of %,d objects %d ms; the follower's watch had it %d ms later%n", round,
                2 * SERVICES, ms(committed - start), ms(seen - committed));

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Long>> batches = new ArrayList<>();
            for (String node : List.of("node1", "node2")) {
                Store store = node.equals("node1") ? writer : follower;
                batches.add(pool.submit(() -> idBatch(store, node)));
            }
            System.out.printf("round %d: id batches of %,d keys per node, both nodes at once: %d / %d ms%n", round,
                    4 * SERVICES, batches.get(0).get(), batches.get(1).get());

            long packed = System.nanoTime();
            List<Future<?>> puts = new ArrayList<>();
            for (String node : List.of("node1", "node2")) {
                Etcd etcd = t.client(Duration.ofSeconds(30));
                puts.add(pool.submit(() -> putPacked(etcd, node)));
            }
            for (Future<?> f : puts) {
                f.get();
            }
            System.out.printf("round %d: the same %,d mappings per node as %d values of 1,000, both nodes at once: %d ms%n",
                    round, 4 * SERVICES, 4 * SERVICES / 1000, ms(System.nanoTime() - packed));
        } finally {
            pool.shutdownNow();
        }
    }

    /** 10,000 Services and their EndpointSlices, about 250 bytes each as the bench's are. */
    private static List<Change> objects() {
        String pad = "# " + "x".repeat(150) + "\n";
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < SERVICES; i++) {
            changes.add(new Change.Put(new ObjectKey("Service", "bench", "svc-" + i),
                    "kind: Service\nmetadata: {name: svc-" + i + "}\n" + pad, "bench.yaml"));
            changes.add(new Change.Put(new ObjectKey("EndpointSlice", "bench", "svc-" + i + "-1"),
                    "kind: EndpointSlice\nmetadata: {name: svc-" + i + "-1}\n" + pad + pad, "bench.yaml"));
        }
        return changes;
    }

    /** One node's batch, nested as StoreLbIds nests it; the milliseconds it took. */
    private static long idBatch(Store store, String node) {
        Store.Allocations services = store.allocations("lb-service-" + node, 1, Integer.MAX_VALUE - 1);
        Store.Allocations backends = store.allocations("lb-backend-" + node, 1, Integer.MAX_VALUE - 1);
        Store.Allocations revNat = store.allocations("lb-rev-nat-" + node, 1, Integer.MAX_VALUE - 1);
        long start = System.nanoTime();
        services.batch(() -> backends.batch(() -> revNat.batch(() -> {
            for (int i = 0; i < SERVICES; i++) {
                services.allocate("bench/svc-" + i + ":80/TCP");
                revNat.allocate(address(10, 96, i) + ":80/TCP");
                backends.allocate(address(10, 244, i) + ":8080/TCP");
                backends.allocate(address(10, 245, i) + ":8080/TCP");
            }
            return null;
        })));
        long took = ms(System.nanoTime() - start);
        for (Store.Allocations table : List.of(services, backends, revNat)) {
            Map<String, Integer> all = table.all();
            Set<Integer> numbers = new HashSet<>(all.values());
            assertThat(numbers).as("every key its own number").hasSameSizeAs(all.keySet());
        }
        return took;
    }

    /** 40,000 mappings as 40 values of 1,000 ({@code NUMBER KEY} lines), under a key no store reads. */
    private static void putPacked(Etcd etcd, String node) {
        IntFunction<String> block = b -> {
            StringBuilder v = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                v.append(b * 1000 + i).append(' ').append(address(10, 244, b * 1000 + i)).append(":8080/TCP\n");
            }
            return v.toString();
        };
        for (int b = 0; b < 4 * SERVICES / 1000; b++) {
            String key = "probe/packed-" + node + "/" + b;
            String value = block.apply(b);
            etcd.call("put", () -> etcd.client().getKVClient().put(etcd.key(key), Etcd.bytes(value)));
        }
    }

    private static String address(int a, int b, int i) {
        return a + "." + (b + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}
