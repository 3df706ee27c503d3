package dev.weir.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest {

    @TempDir
    Path dir;

    private static final ObjectKey A = new ObjectKey("NetworkPolicy", "x", "a");
    private static final ObjectKey B = new ObjectKey("NetworkPolicy", "y", "b");

    private FileStore open() {
        return new FileStore(FileStore.Config.of(dir));
    }

    @Test
    void emptyStoreIsAtRevisionZero() {
        assertThat(open().revision()).isZero();
        assertThat(open().list()).isEmpty();
    }

    @Test
    void everyChangingCommitMakesOneNewRevision() {
        FileStore s = open();
        CommitResult r1 = s.commit(List.of(new Change.Put(A, "{a}", "a.yaml"), new Change.Put(B, "{b}", "b.yaml")));
        assertThat(r1.revision()).isEqualTo(1);
        assertThat(r1.outcomes()).containsEntry(A, "created").containsEntry(B, "created");
        CommitResult r2 = s.commit(List.of(new Change.Put(A, "{a2}", "a.yaml"), new Change.Put(B, "{b}", "b.yaml")));
        assertThat(r2.revision()).isEqualTo(2);
        assertThat(r2.outcomes()).containsEntry(A, "configured").containsEntry(B, "unchanged");
        assertThat(s.get(A).orElseThrow().revision()).isEqualTo(2);
        assertThat(s.get(B).orElseThrow().revision()).isEqualTo(1);
        CommitResult same = s.commit(List.of(new Change.Put(A, "{a2}", "a.yaml")));
        assertThat(same.changed()).isFalse();
        assertThat(same.revision()).isEqualTo(2);
        assertThat(open().revision()).as("another instance reads the same state").isEqualTo(2);
    }

    @Test
    void commitIsAllOrNothing() {
        FileStore s = open();
        s.commit(List.of(new Change.Put(A, "{a}", "")));
        assertThatThrownBy(() -> s.commit(List.of(new Change.Delete(A), new Change.Delete(B))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NetworkPolicy y/b not found");
        assertThat(s.revision()).isEqualTo(1);
        assertThat(s.get(A)).isPresent();
        assertThatThrownBy(() -> s.commit(List.of(new Change.Put(B, "1", ""), new Change.Put(B, "2", ""))))
                .hasMessageContaining("twice");
        assertThat(s.get(B)).isEmpty();
    }

    @Test
    void crashLeftoverTempFilesAreIgnoredAndRemoved() throws Exception {
        FileStore s = open();
        s.commit(List.of(new Change.Put(A, "{a}", "")));
        Path leftover = dir.resolve(".state.json.3f2a.tmp");
        Files.writeString(leftover, "{\"revision\": 99, \"objects\": [ {\"trunc");
        FileStore reopened = open();
        assertThat(leftover).doesNotExist();
        assertThat(reopened.revision()).isEqualTo(1);
        assertThat(reopened.get(A).orElseThrow().document()).isEqualTo("{a}");
        Files.writeString(leftover, "garbage");
        reopened.commit(List.of(new Change.Put(B, "{b}", "")));
        assertThat(leftover).as("the next writer cleans up too").doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("LOCK", "state.json");
        }
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
                FileStore s = open(); // one instance per writer: the lock is what serialises them
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
        Collections.sort(all);
        assertThat(all).doesNotHaveDuplicates().hasSize(writers * each);
        assertThat(open().revision()).isEqualTo(writers * each);
        assertThat(open().list()).hasSize(writers * each);
    }

    @Test
    void awaitRevisionAfterSeesAnotherWriter() throws Exception {
        FileStore s = open();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                return;
            }
            open().commit(List.of(new Change.Put(A, "{a}", "")));
        });
        assertThat(s.awaitRevisionAfter(0, Duration.ofSeconds(5))).isEqualTo(1);
        t.join();
        assertThat(s.awaitRevisionAfter(1, Duration.ofMillis(50))).isEqualTo(1);
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
    void aBatchAllocatesInMemoryAndWritesOnceWhileOthersWait() throws Exception {
        Store.Allocations table = open().allocations("lb-backend-n1", 1, 1_000_000);
        Store.Allocations other = open().allocations("lb-backend-n1", 1, 1_000_000);
        Path file = dir.resolve("alloc-lb-backend-n1.json");
        int first = table.allocate("keep");
        table.allocate("gone");
        long before = Files.getLastModifiedTime(file).toMillis();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> waiting = table.batch(() -> {
                Future<Integer> f = pool.submit(() -> other.allocate("late"));
                for (int i = 0; i < 20_000; i++) {
                    table.allocate("k" + i);
                }
                table.release(List.of("gone"));
                assertThat(table.all()).containsKey("k19999").doesNotContainKey("gone");
                assertThat(f).as("another writer waits for the batch").isNotDone();
                return f;
            });
            assertThat(waiting.get()).as("numbers are never reused").isEqualTo(20_003);
        } finally {
            pool.shutdown();
        }
        assertThat(Files.getLastModifiedTime(file).toMillis()).isGreaterThanOrEqualTo(before);
        Map<String, Integer> all = open().allocations("lb-backend-n1", 1, 1_000_000).all();
        assertThat(all).hasSize(20_002).containsEntry("keep", first).containsEntry("k0", 3).containsEntry("k19999", 20_002)
                .doesNotContainKey("gone");
        assertThat(table.allocate("k5")).as("cached after the batch").isEqualTo(8);
    }
}
