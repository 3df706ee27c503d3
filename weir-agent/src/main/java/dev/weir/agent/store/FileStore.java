package dev.weir.agent.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The embedded store: a directory, shared by the agents (and the CLI) of one machine or lab.
 *
 * <pre>
 * DIR/LOCK                   the writer lock (see {@link WriterLock})
 * DIR/state.G.json           {"revision": N, "objects": [...], "committedAtMillis": T}: every object at revision N
 * DIR/state.G.log            the commits since: {"revision": N, "atMillis": T, "put": [...], "delete": [...]} each
 * DIR/alloc-TABLE.G.json     {"next": n, "keys": {...}}: an allocation table (identities, endpoints, service ids)
 * DIR/alloc-TABLE.G.log      the allocations and releases since: {"next": n, "put": {...}, "release": [...]} each
 * DIR/.NAME.RANDOM.tmp       a temporary file of a writer that crashed; removed by the next writer
 * </pre>
 *
 * <p>Each {@code .G.json} / {@code .G.log} pair is a {@link Journal}: a commit appends one record with what it
 * changed, under the writer lock, and forces it to disk; readers, who never lock, read what was appended since
 * they last looked and apply it to the state they keep. A journal is compacted into the next generation's
 * snapshot once it is longer than the snapshot. A multi-object commit is one record: all-or-nothing even across
 * a crash. A store written by an older weir ({@code state.json}, {@code alloc-TABLE.json}) is converted when
 * first opened: each file becomes generation 1's snapshot (renamed, so a crash leaves one or the other).
 *
 * <p>Lifetime: an instance holds no open file (it keeps the state it read); it can be dropped at any time.
 * Thread-safe, and safe across processes. Throws {@link StoreException} when the directory cannot be read or
 * written.
 */
public final class FileStore implements Store {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Configuration: the directory, how often {@link #awaitRevisionAfter} looks at it, when journals are compacted. */
    public record Config(Path dir, Duration pollInterval, long compactAboveBytes) {
        public Config {
            Objects.requireNonNull(dir, "dir");
            pollInterval = pollInterval == null ? Duration.ofMillis(100) : pollInterval;
            compactAboveBytes = compactAboveBytes <= 0 ? 1 << 20 : compactAboveBytes;
        }

        public Config(Path dir, Duration pollInterval) {
            this(dir, pollInterval, 0);
        }

        public static Config of(Path dir) {
            return new Config(dir, null);
        }
    }

    private record StateFile(long revision, List<StoredObject> objects, Long committedAtMillis) {
    }

    /** One commit as the journal holds it: the objects it put (at {@code revision}) and the keys it deleted. */
    private record CommitRecord(long revision, long atMillis, List<Change.Put> put, List<ObjectKey> delete) {
    }

    private final Config config;
    private final WriterLock lock;
    private final Journal<Snapshot> journal;
    private final Map<String, FileAllocations> tables = new ConcurrentHashMap<>();

    /**
     * Opens (creating when needed) the store directory, removes temporary files a crashed writer left and
     * converts a store an older weir wrote.
     *
     * @throws StoreException when the directory cannot be created, cleaned or converted
     */
    public FileStore(Config config) {
        this.config = config;
        try {
            Files.createDirectories(config.dir());
        } catch (IOException e) {
            throw new StoreException("cannot create the store directory " + config.dir() + ": " + e, e);
        }
        this.lock = new WriterLock(config.dir().resolve("LOCK"));
        this.journal = new Journal<>(config.dir(), "state", new StateFormat(), config.compactAboveBytes());
        lock.withLock(() -> {
            AtomicFiles.removeLeftovers(config.dir());
            convertOldFormat(config.dir());
            return null;
        });
    }

    public Path dir() {
        return config.dir();
    }

    @Override
    public Snapshot snapshot() {
        return journal.read();
    }

    @Override
    public CommitResult commit(List<Change> changes, CommitCheck check) {
        CommitPlan.requireUniqueKeys(changes);
        return lock.withLock(() -> commitLocked(changes, check));
    }

    private CommitResult commitLocked(List<Change> changes, CommitCheck check) {
        AtomicFiles.removeLeftovers(config.dir());
        Snapshot current = journal.prepareWrite();
        long next = current.revision() + 1;
        CommitPlan plan = CommitPlan.of(current.objects(), changes, next);
        if (!plan.changed()) {
            return plan.result(current.revision());
        }
        check.check(plan.before(), plan.after());
        long at = System.currentTimeMillis();
        List<Change.Put> puts = plan.writes().stream().filter(c -> c instanceof Change.Put).map(c -> (Change.Put) c).toList();
        List<ObjectKey> deletes = plan.writes().stream().filter(c -> c instanceof Change.Delete).map(Change::key).toList();
        journal.append(json(new CommitRecord(next, at, puts, deletes)),
                s -> new Snapshot(next, plan.after(), Instant.ofEpochMilli(at)));
        journal.compactIfDue();
        return plan.result(next);
    }

    /** Compacts the state's journal now (tests; commits compact by themselves). */
    void compact() {
        lock.withLock(() -> {
            journal.prepareWrite();
            journal.compact();
            return null;
        });
    }

    @Override
    public long awaitRevisionAfter(long seen, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long r = revision();
            if (r > seen || System.nanoTime() >= deadline) {
                return r;
            }
            Thread.sleep(Math.max(1, Math.min(config.pollInterval().toMillis(), (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    @Override
    public Allocations allocations(String table, int first, int last) {
        if (!table.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("bad allocation table name '" + table + "'");
        }
        return tables.computeIfAbsent(table + " " + first + " " + last,
                k -> new FileAllocations(config.dir(), "alloc-" + table, first, last, lock, config.compactAboveBytes()));
    }

    /** True for the files that hold the store's desired state (what a watch of the directory wakes for). */
    public static boolean isStateFile(String file) {
        return file.startsWith("state.") && (file.endsWith(".log") || file.endsWith(".json"));
    }

    static byte[] json(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new StoreException("cannot encode " + value.getClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * An older weir kept {@code state.json} and {@code alloc-TABLE.json}, rewritten whole: each becomes generation
     * 1's snapshot of its journal (the same JSON), by a rename. Refuses a directory where an older weir wrote
     * again after the conversion. The caller holds the writer lock.
     */
    private static void convertOldFormat(Path dir) {
        List<String> names;
        try (Stream<Path> s = Files.list(dir)) {
            names = s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new StoreException("cannot list " + dir + ": " + e, e);
        }
        for (String old : names) {
            boolean state = old.equals("state.json");
            if (!state && !old.matches("alloc-[a-z][a-z0-9-]*\\.json")) {
                continue;
            }
            String name = old.substring(0, old.length() - ".json".length());
            if (names.stream().anyMatch(n -> n.startsWith(name + ".") && !n.equals(old))) {
                throw new StoreException(dir.resolve(old) + " (the format of weir before the journal) and " + name
                        + ".N.json/.log (the journal) are both in the store: an older weir wrote to the store after it was"
                        + " converted. Stop every older weir process, then remove " + old + " (its changes are lost) or the "
                        + name + ".N.* files (the changes since the conversion are lost)");
            }
            try {
                Files.move(dir.resolve(old), dir.resolve(name + ".1.json"), StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.forceDirectory(dir);
            } catch (IOException e) {
                throw new StoreException("cannot convert " + dir.resolve(old) + " to the journal format: " + e, e);
            }
        }
    }

    /** The state's snapshot and records. */
    private static final class StateFormat implements Journal.Format<Snapshot> {
        @Override
        public Snapshot empty() {
            return new Snapshot(0, List.of());
        }

        @Override
        public Snapshot readSnapshot(byte[] json) throws IOException {
            StateFile f = MAPPER.readValue(json, StateFile.class);
            return new Snapshot(f.revision(), f.objects() == null ? List.of() : f.objects(),
                    f.committedAtMillis() == null ? null : Instant.ofEpochMilli(f.committedAtMillis()));
        }

        /** Objects whose key and revision did not change are {@code previous}'s instances (their documents are the same). */
        @Override
        public Snapshot readSnapshot(byte[] json, Snapshot previous) throws IOException {
            Snapshot read = readSnapshot(json);
            List<StoredObject> was = previous.objects();
            List<StoredObject> now = new java.util.ArrayList<>(read.objects().size());
            int i = 0;
            for (StoredObject o : read.objects()) {
                while (i < was.size() && was.get(i).key().compareTo(o.key()) < 0) {
                    i++;
                }
                boolean same = i < was.size() && was.get(i).key().equals(o.key()) && was.get(i).revision() == o.revision();
                now.add(same ? was.get(i) : o);
            }
            return new Snapshot(read.revision(), now, read.committedAt());
        }

        @Override
        public byte[] writeSnapshot(Snapshot s) {
            return json(new StateFile(s.revision(), s.objects(), s.committedAt() == null ? null : s.committedAt().toEpochMilli()));
        }

        @Override
        public Snapshot apply(Snapshot s, byte[] record) throws IOException {
            CommitRecord r = MAPPER.readValue(record, CommitRecord.class);
            TreeMap<ObjectKey, StoredObject> changed = new TreeMap<>();
            if (r.put() != null) {
                r.put().forEach(p -> changed.put(p.key(), new StoredObject(p.key(), p.document(), p.source(), r.revision())));
            }
            if (r.delete() != null) {
                r.delete().forEach(k -> changed.put(k, null));
            }
            return new Snapshot(r.revision(), CommitPlan.merge(s.objects(), changed), Instant.ofEpochMilli(r.atMillis()));
        }
    }
}
