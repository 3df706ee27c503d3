package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoredObject;
import io.etcd.jetcd.kv.GetResponse;

/**
 * What only the etcd store does, against a real 3-member etcd: racing writers on two clients, a batch of
 * thousands of keys, no quorum, members killed during commits, a compaction while the watch is away, and
 * the keys it leaves alone.
 */
class EtcdStoreTest {

    private static final ObjectKey A = new ObjectKey("NetworkPolicy", "x", "a");
    private static final ObjectKey B = new ObjectKey("NetworkPolicy", "x", "b");
    @org.junit.jupiter.api.extension.RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(3);
    private EtcdTestSupport t;


    @BeforeEach
    void support() {
        t = new EtcdTestSupport(CLUSTER.get(), "store");
    }

    @AfterEach
    void cleanUp(TestInfo info) throws Exception {
        t.close();
        if (!t.log.isEmpty()) {
            System.out.println(info.getDisplayName() + " log: " + t.log);
        }
    }

    private static Change put(ObjectKey k, String doc) {
        return new Change.Put(k, doc, "");
    }

    @Test
    void racingCommitsOfAClashSerializeAndExactlyOneWins() throws Exception {
        EtcdStore one = t.store(t.client(Duration.ofSeconds(5)));
        EtcdStore two = t.store(t.client(Duration.ofSeconds(5)));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                String ip = "clusterIP: 10.96.0." + round;
                CyclicBarrier bothPlanned = new CyclicBarrier(2);
                List<List<StoredObject>> loserSaw = new CopyOnWriteArrayList<>();
                List<Future<CommitResult>> results = new ArrayList<>();
                for (EtcdStore s : List.of(one, two)) {
                    ObjectKey mine = new ObjectKey("Service", "r" + round, s == one ? "one" : "two");
                    AtomicInteger checks = new AtomicInteger();
                    results.add(pool.submit(() -> s.commit(List.of(put(mine, ip)), (before, after) -> {
                        if (checks.incrementAndGet() == 1) {
                            await(bothPlanned); // both planned against the same revision: one transaction must fail
                        } else {
                            loserSaw.add(after);
                        }
                        if (after.stream().filter(o -> o.document().equals(ip)).count() > 1) {
                            throw new IllegalStateException(ip + " is taken");
                        }
                    })));
                }
                int won = 0;
                int refused = 0;
                for (Future<CommitResult> f : results) {
                    try {
                        assertThat(f.get(20, TimeUnit.SECONDS).changed()).isTrue();
                        won++;
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOf(IllegalStateException.class).hasMessageContaining("is taken");
                        refused++;
                    }
                }
                assertThat(won).as("round " + round).isEqualTo(1);
                assertThat(refused).isEqualTo(1);
                assertThat(loserSaw).as("the loser checked again, seeing the winner's object").hasSize(1);
                int r = round;
                assertThat(t.store(t.client(Duration.ofSeconds(5))).list()).filteredOn(o -> o.key().namespace().equals("r" + r))
                        .hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void racingAllocationsFromTwoClientsAgree() throws Exception {
        List<Store.Allocations> tables = List.of(
                t.store(t.client(Duration.ofSeconds(5))).allocations("identities", 256, 65535),
                t.store(t.client(Duration.ofSeconds(5))).allocations("identities", 256, 65535));
        int keys = 150;
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Map<String, Integer>>> seen = new ArrayList<>();
        CyclicBarrier start = new CyclicBarrier(threads);
        for (int i = 0; i < threads; i++) {
            Store.Allocations table = tables.get(i % 2);
            List<String> order = new ArrayList<>(IntStream.range(0, keys).mapToObj(k -> "app=k" + k).toList());
            Collections.shuffle(order, new Random(i));
            seen.add(pool.submit(() -> {
                await(start);
                Map<String, Integer> got = new HashMap<>();
                for (String k : order) {
                    got.put(k, table.allocate(k));
                }
                return got;
            }));
        }
        Map<String, Integer> agreed = new TreeMap<>(seen.getFirst().get(60, TimeUnit.SECONDS));
        for (Future<Map<String, Integer>> f : seen) {
            assertThat(f.get(60, TimeUnit.SECONDS)).as("every thread of both clients sees the same numbers").isEqualTo(agreed);
        }
        pool.shutdown();
        assertThat(new HashSet<>(agreed.values())).as("one number per key, none skipped")
                .isEqualTo(IntStream.range(256, 256 + keys).boxed().collect(Collectors.toSet()));
        assertThat(tables.get(0).all()).isEqualTo(agreed);
        assertThat(tables.get(1).all()).isEqualTo(agreed);
    }

    /**
     * The committer's own documents come back through the watch as new strings; its cache keeps the committer's
     * instances (the agent taking an apply would otherwise hold every document twice); another process's cache has
     * its own.
     */
    @Test
    void theCommittersCacheKeepsTheDocumentsItCommitted() throws Exception {
        EtcdStore mine = t.store(t.client(Duration.ofSeconds(5)));
        EtcdStore theirs = t.store(t.client(Duration.ofSeconds(5)));
        String doc = new StringBuilder("{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"}}").toString();
        long revision = mine.commit(List.of(new Change.Put(new ObjectKey("Service", "x", "a"), doc, "a.yaml"))).revision();
        for (EtcdStore s : List.of(mine, theirs)) {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (s.snapshot().revision() < revision) {
                assertThat(System.nanoTime()).as("the watch brings revision %d", revision).isLessThan(deadline);
                Thread.sleep(10);
            }
        }
        assertThat(mine.snapshot().objects().getFirst().document()).isSameAs(doc);
        assertThat(theirs.snapshot().objects().getFirst().document()).isEqualTo(doc).isNotSameAs(doc);
    }

    @Test
    void aBatchOfTenThousandKeysIsQuick() {
        EtcdStore s = t.store(t.client(Duration.ofSeconds(10)));
        Store.Allocations table = s.allocations("lb-service-node1", 1, Integer.MAX_VALUE - 1);
        assertThat(table.allocate("existing")).isEqualTo(1);
        List<String> keys = IntStream.range(0, 10_000).mapToObj(i -> "default/svc-" + i + ":80/TCP").toList();
        long t0 = System.nanoTime();
        Map<String, Integer> got = table.batch(() -> {
            Map<String, Integer> m = new HashMap<>();
            keys.forEach(k -> m.put(k, table.allocate(k)));
            assertThat(table.allocate("existing")).isEqualTo(1);
            return m;
        });
        long first = (System.nanoTime() - t0) / 1_000_000;
        assertThat(new HashSet<>(got.values())).isEqualTo(IntStream.rangeClosed(2, 10_001).boxed().collect(Collectors.toSet()));
        long t1 = System.nanoTime();
        int more = table.batch(() -> {
            keys.forEach(k -> assertThat(table.allocate(k)).isEqualTo(got.get(k)));
            return table.allocate("one-more");
        });
        long again = (System.nanoTime() - t1) / 1_000_000;
        assertThat(more).as("the unused rest of the reserved block was given back").isEqualTo(10_002);
        Map<String, Integer> all = t.store(t.client(Duration.ofSeconds(10))).allocations("lb-service-node1", 1,
                Integer.MAX_VALUE - 1).all();
        assertThat(all).hasSize(10_002).containsAllEntriesOf(got).containsEntry("existing", 1);
        System.out.printf("batch of 10,000 new keys: %d ms; again with 1 new key: %d ms%n", first, again);
        assertThat(Duration.ofMillis(first)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void aBatchThatAnotherWriterRacesFailsLoudly() {
        Store.Allocations mine = t.store(t.client(Duration.ofSeconds(5))).allocations("lb-backend-node1", 1, 1000);
        Store.Allocations theirs = t.store(t.client(Duration.ofSeconds(5))).allocations("lb-backend-node1", 1, 1000);
        int[] numbers = new int[2];
        assertThatThrownBy(() -> mine.batch(() -> {
            numbers[0] = mine.allocate("x");
            numbers[1] = theirs.allocate("x");
            mine.allocate("y");
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining("'x' is " + numbers[1]).hasMessageContaining("only writer");
        assertThat(numbers[1]).as("the batch's numbers are reserved: another writer gets another").isNotEqualTo(numbers[0]);
        assertThat(theirs.all()).containsEntry("x", numbers[1]).containsKey("y");
        assertThat(mine.allocate("x")).isEqualTo(numbers[1]);
    }

    @Test
    void withoutQuorumACommitFailsInBoundedTimeAndChangesNothing() throws Exception {
        EtcdStore s = t.store(t.client(Duration.ofSeconds(2)));
        s.commit(List.of(put(A, "{a}")));
        Store.Snapshot before = s.snapshot();
        CLUSTER.get().cluster().pause("etcd2");
        CLUSTER.get().cluster().pause("etcd3");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> s.commit(List.of(put(B, "{b}")))).isInstanceOf(StoreException.class)
                .hasMessageStartingWith(Etcd.UNAVAILABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(s.snapshot()).as("the last known state is kept").isEqualTo(before);
        assertThatThrownBy(() -> s.allocations("endpoints", 1, 65535).allocate("x/new")).isInstanceOf(StoreException.class)
                .hasMessageStartingWith(Etcd.UNAVAILABLE);
        CLUSTER.get().cluster().resume("etcd2");
        CLUSTER.get().cluster().resume("etcd3");
        CommitResult r = retry(() -> s.commit(List.of(put(new ObjectKey("NetworkPolicy", "x", "c"), "{c}"))), Duration.ofSeconds(20));
        assertThat(r.changed()).isTrue();
        Thread.sleep(500);
        EtcdStore fresh = t.store(t.client(Duration.ofSeconds(5)));
        assertThat(fresh.list()).extracting(StoredObject::key).containsExactly(A, new ObjectKey("NetworkPolicy", "x", "c"));
        assertThat(fresh.revision()).isEqualTo(r.revision());
        assertThat(s.snapshot()).isEqualTo(fresh.snapshot());
    }

    @Test
    void killingMembersDuringCommitsLosesNoneAndDoublesNone() throws Exception {
        Etcd etcd = t.client(Duration.ofSeconds(3));
        EtcdStore s = t.store(etcd);
        Map<Integer, Long> succeeded = new ConcurrentHashMap<>();
        Map<Integer, String> failed = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 100; i++) {
                try {
                    succeeded.put(i, s.commit(List.of(put(new ObjectKey("P", "kill", "c" + i), "{" + i + "}"))).revision());
                } catch (StoreException e) {
                    failed.put(i, e.getMessage());
                }
                done.incrementAndGet();
            }
        });
        List<String> killed = new ArrayList<>();
        for (int[] at : new int[][] {{10, 40}, {55, 85}}) {
            awaitCount(done, at[0], writer);
            String leader = t.leader(etcd);
            CLUSTER.get().cluster().kill(leader);
            killed.add(leader + " at commit " + done.get());
            awaitCount(done, at[1], writer);
            CLUSTER.get().cluster().restart(leader, Duration.ofSeconds(30));
        }
        writer.join(TimeUnit.SECONDS.toMillis(90));
        assertThat(writer.isAlive()).isFalse();
        System.out.printf("killed %s: %d commits returned, %d threw%n", killed, succeeded.size(), failed.size());
        assertThat(failed.values()).as("no commit's outcome stayed unknown").noneMatch(m -> m.contains("outcome unknown"));
        EtcdStore fresh = t.store(t.client(Duration.ofSeconds(5)));
        Map<String, Long> stored = fresh.list().stream().collect(Collectors.toMap(o -> o.key().name(), StoredObject::revision));
        Map<String, Long> expected = succeeded.entrySet().stream().collect(Collectors.toMap(e -> "c" + e.getKey(), Map.Entry::getValue));
        assertThat(stored).as("exactly the commits that returned, at the revisions they returned").isEqualTo(expected);
        GetResponse rev = etcd.call("get", () -> etcd.client().getKVClient().get(etcd.key(EtcdKeys.REVISION)));
        assertThat(rev.getKvs().getFirst().getVersion()).as("one write of 'revision' per commit: none doubled")
                .isEqualTo(succeeded.size());
        assertThat(s.snapshot()).isEqualTo(fresh.snapshot());
    }

    @Test
    void aCompactionWhileTheWatchIsAwayListsAgainAndEqualsEtcd() throws Exception {
        EtcdStore watcher = t.store(t.client("etcd1", Duration.ofSeconds(2)));
        Etcd others = t.client(Duration.ofSeconds(3));
        EtcdStore writer = t.store(others);
        ObjectKey c = new ObjectKey("NetworkPolicy", "x", "c");
        long r1 = writer.commit(List.of(put(A, "{a}"), put(B, "{b}"), put(c, "{c}"))).revision();
        assertThat(watcher.awaitRevisionAfter(r1 - 1, Duration.ofSeconds(5))).isEqualTo(r1);
        Store.Snapshot seen = watcher.snapshot();

        CLUSTER.get().cluster().kill("etcd1");
        assertThat(watcher.snapshot()).as("the last known state while etcd is away").isEqualTo(seen);
        assertThatThrownBy(() -> watcher.commit(List.of(put(A, "{a2}")))).hasMessageStartingWith(Etcd.UNAVAILABLE);
        ObjectKey d = new ObjectKey("NetworkPolicy", "x", "d");
        long r2 = retry(() -> writer.commit(List.of(new Change.Delete(B), put(c, "{c2}"), put(d, "{d}"))), Duration.ofSeconds(15))
                .revision();
        others.call("compact", () -> others.client().getKVClient().compact(r2));
        CLUSTER.get().cluster().restart("etcd1", Duration.ofSeconds(30));

        assertThat(watcher.awaitRevisionAfter(r1, Duration.ofSeconds(20))).isEqualTo(r2);
        assertThat(watcher.snapshot()).isEqualTo(writer.snapshot());
        assertThat(watcher.list()).extracting(StoredObject::key).containsExactly(A, c, d);
        assertThat(watcher.listings()).as("listed again after the compaction").isEqualTo(2);
        assertThat(t.log).anyMatch(m -> m.contains("compacted"));
        long r3 = writer.commit(List.of(new Change.Delete(A))).revision();
        assertThat(watcher.awaitRevisionAfter(r2, Duration.ofSeconds(5))).as("and watches again").isEqualTo(r3);
    }

    @Test
    void otherKeysUnderThePrefixDoNotMoveTheRevision() throws Exception {
        Etcd etcd = t.client(Duration.ofSeconds(5));
        EtcdStore s = t.store(etcd);
        long r = s.commit(List.of(put(A, "{a}"))).revision();
        for (String k : List.of("nodes/n1", "heartbeats/n1", "endpoints/x/p", "policy-status/a", "objects", "revisionist",
                "objects/Bad")) {
            etcd.call("put", () -> etcd.client().getKVClient().put(etcd.key(k), Etcd.bytes("{}")));
        }
        s.allocations("identities", 256, 65535).allocate("app=x");
        assertThat(s.awaitRevisionAfter(r, Duration.ofMillis(500))).isEqualTo(r);
        assertThat(s.list()).extracting(StoredObject::key).containsExactly(A);
        EtcdStore fresh = t.store(etcd);
        assertThat(fresh.revision()).isEqualTo(r);
        assertThat(fresh.snapshot()).isEqualTo(s.snapshot());
    }

    @Test
    void aCommitTooBigForOneTransactionIsRefusedAndChangesNothing() {
        EtcdStore s = t.store(t.client(Duration.ofSeconds(5)));
        long r = s.commit(List.of(put(A, "{a}"))).revision();
        // the members run with --max-txn-ops 65536 (EtcdCluster), as weir's large applies need
        List<Change> many = IntStream.range(0, 66_000).mapToObj(i -> put(new ObjectKey("P", "big", "p" + i), "{}")).toList();
        assertThatThrownBy(() -> s.commit(many)).isInstanceOf(StoreException.class)
                .hasMessageStartingWith("commit of 66000 changes").hasMessageContaining("--max-txn-ops");
        assertThat(t.store(t.client(Duration.ofSeconds(5))).revision()).isEqualTo(r);
    }

    @Test
    void startFailsWhenEtcdDoesNotAnswer() {
        Etcd nowhere = Etcd.connect(new Etcd.Config(List.of(java.net.URI.create("http://127.0.0.1:9")), t.prefix(),
                Duration.ofSeconds(1)));
        try (nowhere; EtcdStore s = new EtcdStore(nowhere, m -> { })) {
            assertThatThrownBy(s::start).isInstanceOf(StoreException.class).hasMessageStartingWith(Etcd.UNAVAILABLE);
            assertThatThrownBy(s::snapshot).isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
        }
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the other thread did not come", e);
        }
    }

    private static void awaitCount(AtomicInteger n, int count, Thread writer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (n.get() < count && writer.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    private static <T> T retry(java.util.function.Supplier<T> op, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                return op.get();
            } catch (StoreException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}
