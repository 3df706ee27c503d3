package dev.weir.agent.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file store's journal: what a write costs, torn tails, compaction under lagging readers, racing writers, old stores. */
class FileStoreJournalTest {

    private static final ObjectKey A = new ObjectKey("NetworkPolicy", "x", "a");
    private static final ObjectKey B = new ObjectKey("NetworkPolicy", "y", "b");
    private static final ObjectKey C = new ObjectKey("NetworkPolicy", "z", "c");

    @TempDir
    Path dir;

    private FileStore open() {
        return new FileStore(FileStore.Config.of(dir));
    }

    private Path log(long generation) {
        return dir.resolve("state." + generation + ".log");
    }

    @Test
    void aCommitAppendsWhatItChangedAndAReaderReadsOnlyThat() throws Exception {
        FileStore s = open();
        List<Change> many = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            many.add(new Change.Put(new ObjectKey("Service", "ns", "s" + i), "x".repeat(1000), ""));
        }
        s.commit(many);
        FileStore reader = open();
        assertThat(reader.list()).hasSize(500);
        long before = Files.size(log(1));
        s.commit(List.of(new Change.Put(A, "{a}", "a.yaml")));
        assertThat(Files.size(log(1)) - before).as("one small object: one small record").isLessThan(300);
        Store.Snapshot seen = reader.snapshot();
        assertThat(seen.revision()).isEqualTo(2);
        assertThat(seen.objects()).hasSize(501);
        assertThat(reader.get(A).orElseThrow().source()).isEqualTo("a.yaml");
    }

    @Test
    void aTornLastRecordIsIgnoredThenCutByTheNextWriter() throws Exception {
        FileStore s = open();
        s.commit(List.of(new Change.Put(A, "{a}", "")));
        long valid = Files.size(log(1));
        // a writer that died in the middle of its append: a header promising more than was written
        byte[] payload = "{\"revision\":2,\"atMillis\":1,\"put\":[]}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer torn = ByteBuffer.allocate(12 + 10).putInt(0x574a5231).putInt(payload.length).putInt(0).put(payload, 0, 10);
        Files.write(log(1), torn.array(), StandardOpenOption.APPEND);
        FileStore reader = open();
        assertThat(reader.revision()).isEqualTo(1);
        assertThat(reader.get(A)).isPresent();
        reader.commit(List.of(new Change.Put(B, "{b}", "")));
        FileStore fresh = open();
        assertThat(fresh.revision()).isEqualTo(2);
        assertThat(fresh.list()).extracting(StoredObject::key).containsExactly(A, B);
        assertThat(s.list()).as("a reader that saw the torn tail reads the record written over it")
                .extracting(StoredObject::key).containsExactly(A, B);
        assertThat(Files.size(log(1))).isGreaterThan(valid);
        // a complete record whose checksum does not match counts as torn as well
        byte[] bytes = Files.readAllBytes(log(1));
        bytes[bytes.length - 2] ^= 1;
        Files.write(log(1), bytes);
        assertThat(open().revision()).isEqualTo(1);
    }

    @Test
    void aReaderBehindACompactionRelistsFromTheSnapshot() {
        FileStore writer = open();
        FileStore reader = open();
        writer.commit(List.of(new Change.Put(A, "{a}", "")));
        assertThat(reader.revision()).isEqualTo(1);
        writer.commit(List.of(new Change.Put(B, "{b}", "")));
        writer.compact();
        writer.commit(List.of(new Change.Delete(A)));
        writer.compact();
        writer.commit(List.of(new Change.Put(C, "{c}", "")));
        assertThat(log(1)).doesNotExist();
        assertThat(dir.resolve("state.3.json")).exists();
        Store.Snapshot s = reader.snapshot();
        assertThat(s.revision()).isEqualTo(4);
        assertThat(s.objects()).extracting(StoredObject::key).containsExactly(B, C);
        assertThat(s.objects()).isEqualTo(open().list());
        assertThat(s.committedAt()).isNotNull();
    }

    @Test
    void aRelistKeepsTheObjectsTheReaderAlreadyHeldWhereTheyDidNotChange() {
        FileStore writer = open();
        FileStore reader = open();
        writer.commit(List.of(new Change.Put(A, "{a}", "a.yaml"), new Change.Put(B, "{b}", "b.yaml")));
        Store.Snapshot held = reader.snapshot();
        writer.commit(List.of(new Change.Put(B, "{b2}", "b.yaml")));
        writer.compact(); // the reader has not read revision 2: its journal is gone, it relists
        assertThat(log(1)).doesNotExist();
        Store.Snapshot relisted = reader.snapshot();
        assertThat(relisted.revision()).isEqualTo(2);
        assertThat(relisted.objects()).isEqualTo(open().list());
        assertThat(relisted.objects().get(0)).as("A did not change: the instance the reader (and whoever kept its snapshot) held")
                .isSameAs(held.objects().get(0));
        assertThat(relisted.objects().get(1)).isNotSameAs(held.objects().get(1));
        assertThat(relisted.objects().get(1).document()).isEqualTo("{b2}");
    }

    @Test
    void aReaderInTheMiddleOfAJournalFollowsItsSealIntoTheNextGeneration() throws Exception {
        FileStore writer = open();
        FileStore reader = open();
        writer.commit(List.of(new Change.Put(A, "{a}", "")));
        assertThat(reader.revision()).isEqualTo(1);
        writer.commit(List.of(new Change.Put(B, "{b}", "")));
        Path kept = dir.resolve("kept");
        Files.createLink(kept, log(1)); // the reader's view of the journal outlives its deletion
        writer.compact();
        writer.commit(List.of(new Change.Put(C, "{c}", "")));
        Files.move(kept, log(1));
        assertThat(reader.snapshot().objects()).extracting(StoredObject::key).containsExactly(A, B, C);
        assertThat(reader.revision()).isEqualTo(3);
    }

    @Test
    void aCompactionCutShortByACrashIsFinishedByTheNextWriter() throws Exception {
        FileStore writer = open();
        FileStore reader = open();
        writer.commit(List.of(new Change.Put(A, "{a}", "")));
        writer.commit(List.of(new Change.Put(B, "{b}", "")));
        assertThat(reader.revision()).isEqualTo(2);
        byte[] unsealed = Files.readAllBytes(log(1));
        writer.compact();
        Files.write(log(1), unsealed); // as if the writer died after the new snapshot, before the seal
        assertThat(reader.revision()).as("no seal yet: the reader waits where it is").isEqualTo(2);
        FileStore next = open();
        assertThat(next.list()).extracting(StoredObject::key).containsExactly(A, B);
        next.commit(List.of(new Change.Put(C, "{c}", "")));
        assertThat(log(1)).as("sealed and removed").doesNotExist();
        assertThat(reader.list()).extracting(StoredObject::key).containsExactly(A, B, C);
        assertThat(writer.revision()).isEqualTo(3);
    }

    @Test
    void commitsCompactByThemselvesOnceTheJournalOutgrowsTheSnapshot() throws Exception {
        FileStore s = new FileStore(new FileStore.Config(dir, null, 2_000));
        FileStore reader = open();
        for (int i = 0; i < 40; i++) {
            s.commit(List.of(new Change.Put(new ObjectKey("P", "n", "p" + i), "x".repeat(200), "")));
            assertThat(reader.revision()).isEqualTo(i + 1);
        }
        try (var files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(FileStore::isStateFile).toList();
            assertThat(names).as("one generation left: " + names).hasSizeBetween(1, 2);
            assertThat(names).noneMatch(n -> n.equals("state.1.log"));
        }
        assertThat(reader.list()).hasSize(40).isEqualTo(open().list());
    }

    @Test
    void twoInstancesRacingOneCreateOnlyCommitHaveExactlyOneWinner() throws Exception {
        FileStore[] stores = {open(), open()};
        for (int round = 0; round < 20; round++) {
            ObjectKey key = new ObjectKey("P", "race", "k" + round);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Boolean>> tries = new ArrayList<>();
            for (FileStore s : stores) {
                tries.add(pool.submit(() -> {
                    try {
                        s.commit(List.of(new Change.Put(key, "by " + System.identityHashCode(s), "")), (before, after) -> {
                            if (before.stream().anyMatch(o -> o.key().equals(key))) {
                                throw new IllegalStateException("exists");
                            }
                        });
                        return true;
                    } catch (IllegalStateException e) {
                        return false;
                    }
                }));
            }
            int won = 0;
            for (Future<Boolean> f : tries) {
                won += f.get() ? 1 : 0;
            }
            pool.shutdown();
            assertThat(won).as("round " + round).isEqualTo(1);
        }
        assertThat(open().revision()).isEqualTo(20);
    }

    @Test
    void twoInstancesRacingAllocationsAndReleasesNeverReuseANumber() throws Exception {
        Store.Allocations[] tables = {open().allocations("endpoints", 1, 65535), open().allocations("endpoints", 1, 65535)};
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<List<Integer>>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int me = t;
            Callable<List<Integer>> work = () -> {
                List<Integer> got = new ArrayList<>();
                Store.Allocations table = tables[me % 2];
                for (int i = 0; i < 50; i++) {
                    String shared = "shared-" + i;
                    got.add(table.allocate(shared));
                    int own = table.allocate("own-" + me + "-" + i);
                    got.add(own);
                    table.release(List.of("own-" + me + "-" + i));
                    got.add(table.allocate("own-" + me + "-" + i)); // back with a new number
                }
                return got;
            };
            futures.add(pool.submit(work));
        }
        Set<Integer> own = new HashSet<>();
        for (Future<List<Integer>> f : futures) {
            List<Integer> got = f.get();
            for (int i = 0; i < got.size(); i += 3) {
                assertThat(own.add(got.get(i + 1))).as("an own key's first number is nobody else's").isTrue();
                assertThat(own.add(got.get(i + 2))).as("a released key's new number is new").isTrue();
            }
        }
        pool.shutdown();
        Map<String, Integer> all = open().allocations("endpoints", 1, 65535).all();
        for (int i = 0; i < 50; i++) {
            assertThat(all.get("shared-" + i)).as("one number per shared key").isNotNull().isNotIn(own);
        }
        assertThat(new HashSet<>(all.values())).as("no number twice").hasSameSizeAs(all.values());
        assertThat(all).hasSize(50 + 4 * 50);
        assertThat(tables[0].all()).isEqualTo(all);
        assertThat(tables[1].all()).isEqualTo(all);
    }

    @Test
    void aStoreInTheOldFormatIsConvertedWhenOpened() throws Exception {
        Files.writeString(dir.resolve("state.json"), """
                {
                  "revision" : 7,
                  "objects" : [ {
                    "key" : { "kind" : "NetworkPolicy", "namespace" : "x", "name" : "a" },
                    "document" : "{a}",
                    "source" : "a.yaml",
                    "revision" : 5
                  } ],
                  "committedAtMillis" : 1765000000000
                }""");
        Files.writeString(dir.resolve("alloc-identities.json"), """
                { "next" : 300, "keys" : { "k8s:pod=a" : 256, "k8s:pod=b" : 299 } }""");
        FileStore s = open();
        assertThat(s.revision()).isEqualTo(7);
        assertThat(s.get(A).orElseThrow()).isEqualTo(new StoredObject(A, "{a}", "a.yaml", 5));
        assertThat(s.snapshot().committedAt()).isEqualTo(java.time.Instant.ofEpochMilli(1765000000000L));
        Store.Allocations ids = s.allocations("identities", 256, 1000);
        assertThat(ids.all()).containsEntry("k8s:pod=a", 256).containsEntry("k8s:pod=b", 299);
        assertThat(ids.allocate("k8s:pod=c")).as("numbering goes on after the old table's next").isEqualTo(300);
        assertThat(s.commit(List.of(new Change.Put(B, "{b}", ""))).revision()).isEqualTo(8);
        assertThat(dir.resolve("state.json")).doesNotExist();
        assertThat(dir.resolve("alloc-identities.json")).doesNotExist();
        assertThat(dir.resolve("state.1.json")).exists();
        FileStore again = open();
        assertThat(again.list()).extracting(StoredObject::key).containsExactly(A, B);
        assertThat(again.allocations("identities", 256, 1000).allocate("k8s:pod=c")).isEqualTo(300);
    }

    @Test
    void anOldFormatFileWrittenAfterTheConversionIsRefusedWithWhatToDo() throws Exception {
        open().commit(List.of(new Change.Put(A, "{a}", "")));
        Files.writeString(dir.resolve("state.json"), "{\"revision\": 1, \"objects\": []}");
        assertThatThrownBy(this::open).isInstanceOf(StoreException.class).hasMessageContaining("state.json")
                .hasMessageContaining("older weir").hasMessageContaining("remove");
        assertThat(dir.resolve("state.json")).as("nothing changed").exists();
    }

    @Test
    void threeProcessesRacingCommitsAndAllocationsLoseNothingAndShareTheirNumbers() throws Exception {
        int count = 40;
        List<Process> others = new ArrayList<>();
        for (String name : List.of("one", "two")) {
            others.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), StoreWriterProcess.class.getName(), dir.toString(), name,
                    String.valueOf(count)).redirectErrorStream(true).start());
        }
        StoreWriterProcess.main(new String[] {dir.toString(), "self", String.valueOf(count)});
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (Process p : others) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            for (String line : out.lines().toList()) {
                String[] f = line.split(" ");
                Integer before = seen.put(f[1], Integer.parseInt(f[2]));
                assertThat(before).as("a shared key has one number in every process: " + line).isIn(null, Integer.parseInt(f[2]));
            }
        }
        FileStore fresh = open();
        assertThat(fresh.revision()).as("every commit made one revision").isEqualTo(3L * count);
        assertThat(fresh.list()).hasSize(3 * count);
        Map<String, Integer> all = fresh.allocations("endpoints", 1, 65535).all();
        assertThat(all).hasSize(count + 3 * count).containsAllEntriesOf(seen);
        assertThat(new HashSet<>(all.values())).as("no number twice").hasSize(all.size());
    }

    @Test
    void awaitRevisionAfterSeesAnAppendOfAnotherInstance() throws Exception {
        FileStore s = open();
        s.commit(List.of(new Change.Put(A, "{a}", "")));
        Thread t = Thread.ofVirtual().start(() -> open().commit(List.of(new Change.Put(B, "{b}", ""))));
        assertThat(s.awaitRevisionAfter(1, Duration.ofSeconds(10))).isEqualTo(2);
        t.join();
    }
}
