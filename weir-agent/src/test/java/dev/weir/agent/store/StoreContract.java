package dev.weir.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/**
 * What every {@link Store} does, whatever keeps its state: each implementation's test extends this and
 * says how to open another instance over the same state. Revisions are compared, not counted (etcd's
 * revisions are its own, shared with other keys).
 */
public abstract class StoreContract {

    protected static final ObjectKey A = new ObjectKey("NetworkPolicy", "x", "a");
    protected static final ObjectKey B = new ObjectKey("NetworkPolicy", "y", "b");

    /** A new instance over the same backing state as every other {@code open()} of this test. */
    protected abstract Store open();

    @Test
    void emptyStoreIsAtRevisionZero() {
        assertThat(open().revision()).isZero();
        assertThat(open().list()).isEmpty();
        assertThat(open().snapshot()).isEqualTo(new Store.Snapshot(0, List.of()));
    }

    @Test
    void everyChangingCommitMakesOneNewRevision() {
        Store s = open();
        CommitResult r1 = s.commit(List.of(new Change.Put(A, "{a}", "a.yaml"), new Change.Put(B, "{b}", "b.yaml")));
        assertThat(r1.revision()).isPositive();
        assertThat(r1.outcomes()).containsEntry(A, "created").containsEntry(B, "created");
        assertThat(s.revision()).isEqualTo(r1.revision());
        CommitResult r2 = s.commit(List.of(new Change.Put(A, "{a2}", "a.yaml"), new Change.Put(B, "{b}", "b.yaml")));
        assertThat(r2.revision()).isGreaterThan(r1.revision());
        assertThat(r2.outcomes()).containsEntry(A, "configured").containsEntry(B, "unchanged");
        assertThat(s.get(A).orElseThrow().revision()).isEqualTo(r2.revision());
        assertThat(s.get(A).orElseThrow().source()).isEqualTo("a.yaml");
        assertThat(s.get(B).orElseThrow().revision()).isEqualTo(r1.revision());
        CommitResult same = s.commit(List.of(new Change.Put(A, "{a2}", "a.yaml")));
        assertThat(same.changed()).isFalse();
        assertThat(same.revision()).isEqualTo(r2.revision());
        assertThat(open().revision()).as("another instance reads the same state").isEqualTo(r2.revision());
        assertThat(open().list()).isEqualTo(s.list());
        CommitResult r3 = s.commit(List.of(new Change.Delete(B)));
        assertThat(r3.outcomes()).containsExactly(Map.entry(B, "deleted"));
        assertThat(s.list()).extracting(StoredObject::key).containsExactly(A);
    }

    @Test
    void commitIsAllOrNothing() {
        Store s = open();
        long r = s.commit(List.of(new Change.Put(A, "{a}", ""))).revision();
        assertThatThrownBy(() -> s.commit(List.of(new Change.Delete(A), new Change.Delete(B))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NetworkPolicy y/b not found");
        assertThat(s.revision()).isEqualTo(r);
        assertThat(s.get(A)).isPresent();
        assertThatThrownBy(() -> s.commit(List.of(new Change.Put(B, "1", ""), new Change.Put(B, "2", ""))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThat(s.get(B)).isEmpty();
        assertThat(open().revision()).isEqualTo(r);
    }

    @Test
    void theCheckSeesBeforeAndAfterAndCanRefuse() {
        Store s = open();
        long r = s.commit(List.of(new Change.Put(A, "{a}", ""))).revision();
        assertThatThrownBy(() -> s.commit(List.of(new Change.Put(B, "{b}", "")), (before, after) -> {
            throw new IllegalStateException("refused");
        })).hasMessage("refused");
        assertThat(s.get(B)).isEmpty();
        assertThat(open().revision()).isEqualTo(r);
        List<List<StoredObject>> seen = new ArrayList<>();
        s.commit(List.of(new Change.Put(B, "{b}", "")), (before, after) -> {
            seen.add(before);
            seen.add(after);
        });
        assertThat(seen.get(0)).extracting(StoredObject::key).containsExactly(A);
        assertThat(seen.get(1)).extracting(StoredObject::key).containsExactly(A, B);
        assertThat(seen.get(1).get(0)).as("an unchanged object is passed as stored").isEqualTo(seen.get(0).get(0));
        s.commit(List.of(new Change.Put(B, "{b}", "")), (before, after) -> {
            throw new AssertionError("not called when nothing changes");
        });
    }

    @Test
    void concurrentWritersNeverLoseACommitOrReuseARevision() throws Exception {
        int writers = 4;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<List<Long>>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            futures.add(pool.submit(() -> {
                Store s = open(); // one instance per writer
                List<Long> revisions = new ArrayList<>();
                for (int i = 0; i < each; i++) {
                    revisions.add(s.commit(List.of(new Change.Put(new ObjectKey("P", "w" + id, "p" + i), "x", ""))).revision());
                }
                return revisions;
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<List<Long>> f : futures) {
            all.addAll(f.get());
        }
        pool.shutdown();
        assertThat(all).doesNotHaveDuplicates().hasSize(writers * each);
        Store fresh = open();
        assertThat(fresh.revision()).isEqualTo(all.stream().mapToLong(Long::longValue).max().orElseThrow());
        assertThat(fresh.list()).hasSize(writers * each);
        assertThat(fresh.list()).extracting(StoredObject::revision).containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void awaitRevisionAfterSeesAnotherWriter() throws Exception {
        Store s = open();
        long start = s.revision();
        CompletableFuture<Long> committed = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(150);
                committed.complete(open().commit(List.of(new Change.Put(A, "{a}", ""))).revision());
            } catch (Throwable e) {
                committed.completeExceptionally(e);
            }
        });
        long woke = s.awaitRevisionAfter(start, Duration.ofSeconds(5));
        assertThat(woke).isEqualTo(committed.get());
        t.join();
        long before = System.nanoTime();
        assertThat(s.awaitRevisionAfter(woke, Duration.ofMillis(50))).isEqualTo(woke);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(45));
    }

    @Test
    void snapshotsAreSortedAndSayWhatChanged() {
        Store s = open();
        ObjectKey mode = new ObjectKey("PolicyMode", "", "default");
        ObjectKey c = new ObjectKey("NetworkPolicy", "x", "c");
        s.commit(List.of(new Change.Put(B, "{b}", ""), new Change.Put(mode, "{m}", ""), new Change.Put(A, "{a}", "")));
        Store.Snapshot s1 = s.snapshot();
        assertThat(s1.objects()).extracting(StoredObject::key).containsExactly(A, B, mode);
        assertThat(s1.changesSince(s1)).isEmpty();
        assertThat(s1.changesSince(new Store.Snapshot(0, List.of()))).extracting(ObjectChange::kind)
                .containsOnly(ObjectChange.Kind.CREATED).hasSize(3);
        s.commit(List.of(new Change.Put(A, "{a2}", ""), new Change.Delete(B), new Change.Put(c, "{c}", ""),
                new Change.Put(mode, "{m}", "")));
        Store.Snapshot s2 = s.snapshot();
        assertThat(s2.changesSince(s1)).extracting(ObjectChange::key, ObjectChange::kind).containsExactly(
                org.assertj.core.groups.Tuple.tuple(A, ObjectChange.Kind.CHANGED),
                org.assertj.core.groups.Tuple.tuple(c, ObjectChange.Kind.CREATED),
                org.assertj.core.groups.Tuple.tuple(B, ObjectChange.Kind.DELETED));
        assertThat(s2.changesSince(s1).get(2).object().document()).as("a deleted object as it was").isEqualTo("{b}");
        assertThat(s2.changesSince(s1).get(0).object().document()).isEqualTo("{a2}");
    }

    @Test
    void identitiesAreStableSharedAndRanged() {
        StoreIdentityAllocator a = new StoreIdentityAllocator(open());
        StoreIdentityAllocator b = new StoreIdentityAllocator(open());
        int xa = a.allocate(Map.of("k8s:pod", "a", "k8s:io.kubernetes.pod.namespace", "x"));
        int xb = b.allocate(Map.of("k8s:pod", "b", "k8s:io.kubernetes.pod.namespace", "x"));
        assertThat(xa).isEqualTo(256);
        assertThat(xb).isEqualTo(257);
        assertThat(b.allocate(Map.of("k8s:io.kubernetes.pod.namespace", "x", "k8s:pod", "a"))).isEqualTo(xa);
        assertThat(a.allocate(Map.of("cidr:10.0.0.0/8", ""))).isEqualTo(1 << 24);
        assertThat(a.allocate(Map.of("reserved:world", ""))).isEqualTo(2);
        a.release(xa);
        assertThat(new StoreIdentityAllocator(open()).allocate(Map.of("k8s:pod", "a", "k8s:io.kubernetes.pod.namespace", "x")))
                .as("after a restart").isEqualTo(xa);
        assertThat(a.all()).containsKeys(256, 257, 1 << 24);
        assertThat(a.all().get(256)).containsEntry("k8s:pod", "a");
    }

    @Test
    void releasedKeysComeBackWithANewNumber() {
        Store.Allocations t = open().allocations("endpoints", 1, 65535);
        int x = t.allocate("ns/x");
        int y = t.allocate("ns/y");
        t.release(List.of("ns/x"));
        assertThat(t.all()).containsOnlyKeys("ns/y");
        assertThat(open().allocations("endpoints", 1, 65535).all()).containsOnlyKeys("ns/y");
        int again = t.allocate("ns/x");
        assertThat(again).as("numbers are never reused").isNotIn(x, y).isEqualTo(y + 1);
        assertThat(open().allocations("endpoints", 1, 65535).allocate("ns/x")).isEqualTo(again);
    }

    /** {@code known} answers from the process's copy of the table: never allocates, follows other processes' writes. */
    @Test
    void knownNumbersAreAnsweredWithoutAllocating() throws Exception {
        Store.Allocations t = open().allocations("lb-backend-n1", 1, 65535);
        assertThat(t.known("a")).isZero();
        int a = t.allocate("a");
        assertThat(t.known("a")).isEqualTo(a);
        assertThat(t.known("b")).isZero();
        assertThat(t.all()).containsOnlyKeys("a");
        Store.Allocations other = open().allocations("lb-backend-n1", 1, 65535);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (other.known("a") != a) { // a copy that follows a watch has it moments later
            assertThat(System.nanoTime()).as("another process's copy knows a").isLessThan(deadline);
            Thread.sleep(10);
        }
        t.release(List.of("a"));
        deadline = System.nanoTime() + 5_000_000_000L;
        while (t.known("a") != 0 || other.known("a") != 0) {
            assertThat(System.nanoTime()).as("a released key is known to none").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void keysAskedForSideBySideGetOneNumberEachAndNoneTwice() throws Exception {
        int threads = 8;
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            keys.add("ns/pod-" + i);
        }
        Store.Allocations[] tables = {open().allocations("endpoints", 1, 65535), open().allocations("endpoints", 1, 65535)};
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Map<String, Integer>>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            futures.add(pool.submit(() -> {
                List<String> mine = new ArrayList<>(keys);
                java.util.Collections.shuffle(mine, new java.util.Random(seed));
                Map<String, Integer> got = new java.util.HashMap<>();
                for (String k : mine) {
                    got.put(k, tables[seed % 2].allocate(k));
                }
                return got;
            }));
        }
        Map<String, Integer> first = futures.get(0).get();
        for (Future<Map<String, Integer>> f : futures) {
            assertThat(f.get()).as("every thread sees one number per key").isEqualTo(first);
        }
        pool.shutdown();
        assertThat(first.values()).doesNotHaveDuplicates().allMatch(n -> n >= 1 && n <= keys.size());
        assertThat(open().allocations("endpoints", 1, 65535).all()).isEqualTo(first);
    }

    @Test
    void aFullTableSaysWhich() {
        Store.Allocations t = open().allocations("tiny", 1, 2);
        assertThat(t.allocate("a")).isEqualTo(1);
        assertThat(t.allocate("b")).isEqualTo(2);
        assertThatThrownBy(() -> t.allocate("c")).isInstanceOf(StoreException.class).hasMessageContaining("tiny")
                .hasMessageContaining("full");
        assertThat(open().allocations("tiny", 1, 2).allocate("a")).as("a key that has its number still gets it").isEqualTo(1);
        assertThatThrownBy(() -> t.batch(() -> t.allocate("d"))).isInstanceOf(StoreException.class).hasMessageContaining("tiny");
        assertThat(t.all()).containsOnlyKeys("a", "b");
    }

    @Test
    void aBatchAllocatesInMemoryAndWritesAtTheEnd() throws Exception {
        Store s = open();
        Store.Allocations table = s.allocations("lb-backend-n1", 1, 1_000_000);
        int first = table.allocate("keep");
        table.allocate("gone");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> waiting = table.batch(() -> {
                Future<Integer> f = pool.submit(() -> s.allocations("lb-backend-n1", 1, 1_000_000).allocate("late"));
                for (int i = 0; i < 20_000; i++) {
                    table.allocate("k" + i);
                }
                table.release(List.of("gone"));
                assertThat(table.all()).containsKey("k19999").doesNotContainKey("gone");
                assertThat(f).as("another thread of the process waits for the batch").isNotDone();
                return f;
            });
            assertThat(waiting.get()).as("numbers are never reused").isEqualTo(20_003);
        } finally {
            pool.shutdown();
        }
        Map<String, Integer> all = open().allocations("lb-backend-n1", 1, 1_000_000).all();
        assertThat(all).hasSize(20_002).containsEntry("keep", first).containsEntry("k0", 3).containsEntry("k19999", 20_002)
                .doesNotContainKey("gone");
        assertThat(table.allocate("k5")).as("known after the batch").isEqualTo(8);
        assertThatThrownBy(() -> table.batch(() -> {
            table.allocate("in-a-failed-batch");
            throw new IllegalStateException("the work failed");
        })).hasMessage("the work failed");
        assertThat(open().allocations("lb-backend-n1", 1, 1_000_000).all())
                .as("numbers handed out stay handed out").containsEntry("in-a-failed-batch", 20_004);
    }
}
