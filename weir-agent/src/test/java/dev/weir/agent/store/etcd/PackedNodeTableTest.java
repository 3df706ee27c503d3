package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

/**
 * A node's own id tables packed in blocks ({@link PackedNodeTable}), against a real 3-member etcd: what is
 * written, read back by a new store (an agent restarting), single changes between batches, numbers never
 * handed out twice, a second writer, the bound on a transaction's bytes, and a table in the per-key layout.
 */
class PackedNodeTableTest {

    private static final int MAX = Integer.MAX_VALUE - 1;
    @RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(3);
    private EtcdTestSupport t;

    @BeforeEach
    void support() {
        t = new EtcdTestSupport(CLUSTER.get(), "packed");
    }

    @AfterEach
    void cleanUp() throws Exception {
        t.close();
    }

    private Store store() {
        return t.store(t.client(Duration.ofSeconds(10)));
    }

    private static String backend(int i) {
        return "10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff) + ":8080/TCP";
    }

    /** Every key of the table in etcd, relative to the prefix. */
    private List<String> etcdKeys(Etcd etcd, String table) throws Exception {
        return etcd.client().getKVClient().get(etcd.key(EtcdKeys.table(table)),
                        GetOption.builder().isPrefix(true).withKeysOnly(true).build()).get(10, TimeUnit.SECONDS)
                .getKvs().stream().map(KeyValue::getKey).map(etcd::relative).toList();
    }

    /** Counts the transactions sent through {@code etcd}. */
    private static AtomicInteger transactions(Etcd etcd) {
        AtomicInteger txns = new AtomicInteger();
        etcd.observe(new Etcd.Observer() {
            @Override
            public void operation(String action, String scope, long nanos, String outcome) {
                if (action.equals("txn")) {
                    txns.incrementAndGet();
                }
            }

            @Override
            public void events(String scope, String action, int n) {
            }
        });
        return txns;
    }

    @Test
    void aBatchOfThousandsIsReadBackByANewStore() throws Exception {
        Store.Allocations table = store().allocations("lb-backend-n1", 1, MAX);
        Map<String, Integer> got = table.batch(() -> {
            Map<String, Integer> m = new HashMap<>();
            for (int i = 0; i < 5_000; i++) {
                m.put(backend(i), table.allocate(backend(i)));
                if (i % 1000 == 0) {
                    m.put("[fd00::" + i + "]:80/TCP", table.allocate("[fd00::" + i + "]:80/TCP"));
                }
            }
            return m;
        });
        assertThat(new HashSet<>(got.values())).hasSameSizeAs(got.keySet()).allMatch(n -> n >= 1 && n <= 5_005);

        Etcd etcd = t.client(Duration.ofSeconds(10));
        assertThat(etcdKeys(etcd, "lb-backend-n1")).as("5,005 mappings in 5 blocks and next, no key per mapping")
                .containsExactlyInAnyOrder("alloc/lb-backend-n1/next", "alloc/lb-backend-n1/blocks/0",
                        "alloc/lb-backend-n1/blocks/1", "alloc/lb-backend-n1/blocks/2", "alloc/lb-backend-n1/blocks/3",
                        "alloc/lb-backend-n1/blocks/4");

        Store.Allocations restarted = t.store(etcd).allocations("lb-backend-n1", 1, MAX);
        assertThat(restarted.all()).isEqualTo(got);
        got.forEach((k, n) -> assertThat(restarted.allocate(k)).as(k).isEqualTo(n));
        assertThat(restarted.allocate("new")).as("after the last number handed out").isEqualTo(5_006);
    }

    @Test
    void singleChangesBetweenBatchesAreOneTransactionEach() {
        Etcd etcd = t.client(Duration.ofSeconds(10));
        AtomicInteger txns = transactions(etcd);
        Store.Allocations table = t.store(etcd).allocations("lb-service-n1", 1, MAX);
        Map<String, Integer> first = table.batch(() -> {
            Map<String, Integer> m = new HashMap<>();
            IntStream.range(0, 2_000).forEach(i -> m.put("ns/svc-" + i + ":80/TCP", table.allocate("ns/svc-" + i + ":80/TCP")));
            return m;
        });

        txns.set(0);
        int a = table.allocate("ns/a:80/TCP");
        assertThat(a).isEqualTo(2_001);
        assertThat(txns.get()).as("a single allocation: one transaction").isEqualTo(1);
        txns.set(0);
        table.release(List.of("ns/svc-5:80/TCP", "ns/svc-1500:80/TCP"));
        assertThat(txns.get()).as("releases in two blocks: one transaction").isEqualTo(1);

        Store.Allocations other = store().allocations("lb-service-n1", 1, MAX);
        assertThat(other.all()).hasSize(1_999).containsEntry("ns/a:80/TCP", a)
                .doesNotContainKeys("ns/svc-5:80/TCP", "ns/svc-1500:80/TCP");

        int again = table.batch(() -> {
            first.forEach((k, n) -> {
                if (!k.equals("ns/svc-5:80/TCP") && !k.equals("ns/svc-1500:80/TCP")) {
                    assertThat(table.allocate(k)).isEqualTo(n);
                }
            });
            return table.allocate("ns/svc-5:80/TCP");
        });
        assertThat(again).as("a released key that returns gets a new number").isEqualTo(2_002);
        assertThat(store().allocations("lb-service-n1", 1, MAX).all()).hasSize(2_000).containsEntry("ns/svc-5:80/TCP", 2_002);
    }

    @Test
    void releasedNumbersAreNeverHandedOutAgain() {
        Store.Allocations table = store().allocations("lb-rev-nat-n1", 1, MAX);
        Set<Integer> handedOut = new HashSet<>();
        List<Integer> all = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            int r = round;
            List<Integer> batch = table.batch(() -> {
                List<Integer> l = new ArrayList<>();
                for (int i = 0; i < 700; i++) {
                    l.add(table.allocate("k" + i));
                }
                table.release(IntStream.range(0, 700).filter(i -> i % 3 == r % 3).mapToObj(i -> "k" + i).toList());
                l.add(table.allocate("k0"));
                return l;
            });
            all.addAll(batch);
            all.add(table.allocate("single" + round));
            table.release(List.of("single" + round, "k1", "k2"));
            all.add(table.allocate("k1"));
        }
        for (int n : all) {
            handedOut.add(n);
        }
        Map<String, Integer> now = store().allocations("lb-rev-nat-n1", 1, MAX).all();
        assertThat(new HashSet<>(now.values())).as("no number twice in the table").hasSameSizeAs(now.keySet());
        Store.Allocations restarted = store().allocations("lb-rev-nat-n1", 1, MAX);
        int fresh = restarted.allocate("brand-new");
        assertThat(handedOut).as("a new key after a restart gets a number nobody had").doesNotContain(fresh);
        assertThat(fresh).isGreaterThan(handedOut.stream().mapToInt(Integer::intValue).max().orElseThrow());
    }

    @Test
    void aSecondWriterIsDetectedByTheCompares() {
        Store.Allocations mine = store().allocations("lb-backend-n2", 1, MAX);
        Store.Allocations theirs = store().allocations("lb-backend-n2", 1, MAX);
        mine.allocate("before");
        // mine's watch stops, as when it lags: only the compares can tell mine that theirs wrote
        ((PackedNodeTable) mine).close();
        int[] theirsX = new int[1];
        assertThatThrownBy(() -> mine.batch(() -> {
            for (int i = 0; i < 1_100; i++) {
                mine.allocate("k" + i); // blocks 0 and 1; theirs get numbers past the reservation, in block 2
            }
            mine.allocate("x");
            theirsX[0] = theirs.allocate("x");
            theirs.allocate("y");
            mine.allocate("z");
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining("'x' is " + theirsX[0]).hasMessageContaining("only writer");
        Map<String, Integer> all = store().allocations("lb-backend-n2", 1, MAX).all();
        assertThat(all).as("nothing of either writer lost").hasSize(1_104).containsEntry("x", theirsX[0])
                .containsKeys("before", "k0", "k1099", "y", "z");
        assertThat(new HashSet<>(all.values())).hasSize(1_104);
        assertThat(PackedBlocks.blockOf(theirsX[0])).as("another block than the batch's").isEqualTo(2);
        assertThat(mine.allocate("x")).isEqualTo(theirsX[0]);
    }

    @Test
    void twoWritersAllocatingAtOnceLoseNothing() throws Exception {
        List<Store.Allocations> writers = List.of(store().allocations("lb-service-n3", 1, MAX),
                store().allocations("lb-service-n3", 1, MAX));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Map<String, Integer>>> done = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int me = w;
                done.add(pool.submit(() -> {
                    Map<String, Integer> m = new HashMap<>();
                    for (int i = 0; i < 40; i++) {
                        m.put("w" + me + "-" + i, writers.get(me).allocate("w" + me + "-" + i));
                    }
                    return m;
                }));
            }
            Map<String, Integer> expected = new HashMap<>();
            for (Future<Map<String, Integer>> f : done) {
                expected.putAll(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(new HashSet<>(expected.values())).hasSize(80);
            assertThat(store().allocations("lb-service-n3", 1, MAX).all()).isEqualTo(expected);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLargeBatchIsWrittenInTransactionsWithinTheByteBound() throws Exception {
        Etcd etcd = t.client(Duration.ofSeconds(30));
        AtomicInteger txns = transactions(etcd);
        Store.Allocations table = t.store(etcd).allocations("lb-service-n4", 1, MAX);
        String pad = "x".repeat(200);
        int keys = 20_000;
        table.batch(() -> {
            IntStream.range(0, keys).forEach(i -> table.allocate("namespace-" + pad + "/service-" + i + ":80/TCP"));
            return null;
        });
        List<KeyValue> kvs = etcd.client().getKVClient().get(etcd.key(EtcdKeys.blocks("lb-service-n4")),
                GetOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS).getKvs();
        long bytes = kvs.stream().mapToLong(kv -> kv.getKey().size() + kv.getValue().size()).sum();
        assertThat(bytes).as("about 4.5 MB of blocks").isGreaterThan(4 * PackedNodeTable.MAX_TXN_BYTES);
        List<PackedNodeTable.BlockPut> puts = kvs.stream().map(kv -> new PackedNodeTable.BlockPut(
                EtcdKeys.blockNumber("lb-service-n4", etcd.relative(kv.getKey())), kv.getValue().getBytes(), 0)).toList();
        List<List<PackedNodeTable.BlockPut>> planned = PackedNodeTable.split(puts);
        for (List<PackedNodeTable.BlockPut> txn : planned) {
            assertThat(txn.stream().mapToLong(p -> PackedBlocks.cost(EtcdKeys.block("lb-service-n4", p.block()), p.value())).sum())
                    .isLessThanOrEqualTo(PackedNodeTable.MAX_TXN_BYTES);
            assertThat(txn.size()).isLessThan(EtcdReads.MAX_TXN_OPS);
        }
        assertThat(planned).hasSizeGreaterThanOrEqualTo(5);
        int reservations = 10; // 64, 64, 128, ... 16,384 numbers: 10 transactions for 20,000 keys
        assertThat(txns.get()).as("the blocks went in several transactions").isGreaterThanOrEqualTo(reservations + 5);
        assertThat(store().allocations("lb-service-n4", 1, MAX).all()).hasSize(keys);
    }

    @Test
    void aNextSetBackByHandHandsOutNoNumberABlockHolds() throws Exception {
        Store.Allocations table = store().allocations("lb-backend-n6", 1, MAX);
        table.batch(() -> IntStream.range(0, 10).map(i -> table.allocate("k" + i)).sum());
        Etcd etcd = t.client(Duration.ofSeconds(10));
        etcd.client().getKVClient().put(etcd.key(EtcdKeys.next("lb-backend-n6")), Etcd.bytes("1")).get(10, TimeUnit.SECONDS);
        Store.Allocations restarted = t.store(etcd).allocations("lb-backend-n6", 1, MAX);
        assertThat(restarted.allocate("single")).isEqualTo(11);
        assertThat(restarted.batch(() -> restarted.allocate("batched"))).isEqualTo(12);
        assertThat(store().allocations("lb-backend-n6", 1, MAX).all()).hasSize(12).containsEntry("k0", 1);
    }

    @Test
    void keysDeletedByHandAreForgottenAndNoNumberComesBack() throws Exception {
        Store.Allocations table = store().allocations("lb-backend-n7", 1, MAX);
        table.batch(() -> IntStream.range(0, 1_030).map(i -> table.allocate("k" + i)).sum());
        assertThat(table.allocate("k1029")).isEqualTo(1_030);
        Etcd etcd = t.client(Duration.ofSeconds(10));
        etcd.client().getKVClient().delete(etcd.key(EtcdKeys.next("lb-backend-n7"))).get(10, TimeUnit.SECONDS);
        etcd.client().getKVClient().delete(etcd.key(EtcdKeys.block("lb-backend-n7", 1))).get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (((PackedNodeTable) table).copy.get("k1029") != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(((PackedNodeTable) table).copy.get("k1029")).as("the watch dropped block 1's keys").isZero();
        int again = table.allocate("k1029");
        assertThat(again).as("the numbers block 1 held are not handed out again").isGreaterThan(1_030);
        assertThat(table.allocate("k0")).isEqualTo(1);
        assertThat(store().allocations("lb-backend-n7", 1, MAX).all()).hasSize(1_024).containsEntry("k1029", again);
    }

    @Test
    void aTableInThePerKeyLayoutIsNotReadButNamed() throws Exception {
        Etcd etcd = t.client(Duration.ofSeconds(10));
        etcd.client().getKVClient().put(etcd.key(EtcdKeys.allocKey("lb-backend-n5", "10.0.0.1:80/TCP")), Etcd.bytes("1"))
                .get(10, TimeUnit.SECONDS);
        Store.Allocations table = t.store(etcd).allocations("lb-backend-n5", 1, MAX);
        assertThatThrownBy(() -> table.allocate("10.0.0.2:80/TCP")).isInstanceOf(StoreException.class)
                .hasMessageContaining("per-key").hasMessageContaining("alloc/lb-backend-n5/keys/");
        assertThatThrownBy(() -> table.batch(() -> table.allocate("10.0.0.2:80/TCP"))).isInstanceOf(StoreException.class)
                .hasMessageContaining("per-key");
        assertThat(etcdKeys(etcd, "lb-backend-n5")).as("nothing written").containsExactly("alloc/lb-backend-n5/keys/10.0.0.1%3A80%2FTCP");
    }

    @Test
    void blocksEncodeKeysAsTheyAre() {
        java.util.TreeMap<Integer, String> entries = new java.util.TreeMap<>(Map.of(1024, "ns/a:80/TCP", 1030, "odd %key\nwith a break"));
        byte[] v = PackedBlocks.encode(entries);
        assertThat(new String(v, java.nio.charset.StandardCharsets.UTF_8)).startsWith("1024 ns/a:80/TCP\n1030 odd %25key%0Awith");
        assertThat(PackedBlocks.decode(v, 1, "b")).isEqualTo(entries);
        assertThatThrownBy(() -> PackedBlocks.decode(v, 0, "alloc/t/blocks/0")).isInstanceOf(StoreException.class)
                .hasMessageContaining("not a number of block 0");
    }
}
