package dev.weir.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file store: the contract, and what only a directory does (counted revisions, crash leftovers, the writer lock). */
class FileStoreTest extends StoreContract {

    @TempDir
    Path dir;

    @Override
    protected FileStore open() {
        return new FileStore(FileStore.Config.of(dir));
    }

    @Test
    void revisionsCountTheCommits() {
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
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("LOCK", "state.1.log");
        }
    }

    @Test
    void aBatchWritesOnceAndOtherProcessesGoOnWriting() throws Exception {
        FileStore store = open();
        Store.Allocations table = store.allocations("lb-backend-n1", 1, 1_000_000);
        FileStore other = open();
        Path file = dir.resolve("alloc-lb-backend-n1.1.log");
        int first = table.allocate("keep");
        table.allocate("gone");
        long before = Files.size(file);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            int elsewhere = table.batch(() -> {
                for (int i = 0; i < 20_000; i++) {
                    table.allocate("k" + i);
                }
                table.release(List.of("gone"));
                assertThat(table.all()).containsKey("k19999").doesNotContainKey("gone");
                try {
                    // another process (the other nodes' agents) commits and allocates in other tables meanwhile
                    return pool.submit(() -> {
                        other.commit(List.of(new Change.Put(A, "{a}", "")));
                        return other.allocations("lb-backend-n2", 1, 1_000_000).allocate("x");
                    }).get(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("another process waited for the batch", e);
                }
            });
            assertThat(elsewhere).isEqualTo(1);
        } finally {
            pool.shutdown();
        }
        assertThat(Files.size(file)).as("the batch appended one record").isGreaterThan(before + 20_000 * 10);
        Map<String, Integer> all = open().allocations("lb-backend-n1", 1, 1_000_000).all();
        assertThat(all.size()).isEqualTo(20_001);
        assertThat(all).containsEntry("keep", first).containsEntry("k0", 3).containsEntry("k19999", 20_002)
                .doesNotContainKey("gone");
        assertThat(table.allocate("k5")).as("cached after the batch").isEqualTo(8);
    }

    @Test
    void aBatchDuringWhichAnotherProcessWroteTheTableWritesNothingAndTheNextHoldsTheLock() throws Exception {
        Store.Allocations table = open().allocations("lb-backend-n1", 1, 1_000_000);
        Store.Allocations other = open().allocations("lb-backend-n1", 1, 1_000_000);
        table.allocate("keep");
        assertThatThrownBy(() -> table.batch(() -> {
            table.allocate("mine");
            return other.allocate("theirs");
        })).isInstanceOf(StoreException.class).hasMessageContaining("written by another process");
        assertThat(open().allocations("lb-backend-n1", 1, 1_000_000).all())
                .as("the other writer's number stands; the batch's, the same number, was not written")
                .containsEntry("theirs", 2).doesNotContainKey("mine");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> waited = table.batch(() -> {
                table.allocate("mine");
                Future<Integer> f = pool.submit(() -> other.allocate("later"));
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                assertThat(f).as("after a clash the next batch keeps other writers out").isNotDone();
                return f;
            });
            assertThat(table.all()).containsEntry("mine", 3);
            assertThat(waited.get()).isEqualTo(4);
        } finally {
            pool.shutdown();
        }
    }
}
