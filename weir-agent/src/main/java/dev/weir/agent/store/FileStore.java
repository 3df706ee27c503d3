package dev.weir.agent.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The embedded store: a directory, shared by the agents (and the CLI) of one machine or lab.
 *
 * <pre>
 * DIR/LOCK                 the writer lock (see {@link WriterLock})
 * DIR/state.json           {"revision": N, "objects": [...], "committedAtMillis": T}: every object at revision N, committed at T
 * DIR/alloc-TABLE.json     {"next": n, "keys": {...}}: an allocation table (identities, endpoints)
 * DIR/.NAME.RANDOM.tmp     a temporary file of a writer that crashed; removed by the next writer
 * </pre>
 *
 * <p>A commit rewrites {@code state.json} whole, atomically ({@link AtomicFiles}), under the writer lock: a
 * multi-object commit is all-or-nothing even across a crash, and readers, who never lock, see either
 * revision. Desired state is small (policies, services), so the whole-file rewrite is cheap; a store that
 * outgrows it wants etcd anyway.
 *
 * <p>Lifetime: an instance holds no open file; it can be dropped at any time. Thread-safe, and safe
 * across processes. Throws {@link StoreException} when the directory cannot be read or written.
 */
public final class FileStore implements Store {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final String STATE = "state.json";

    /** Configuration: the directory, and how often {@link #awaitRevisionAfter} looks at it. */
    public record Config(Path dir, Duration pollInterval) {
        public Config {
            Objects.requireNonNull(dir, "dir");
            pollInterval = pollInterval == null ? Duration.ofMillis(100) : pollInterval;
        }

        public static Config of(Path dir) {
            return new Config(dir, null);
        }
    }

    private record StateFile(long revision, List<StoredObject> objects, Long committedAtMillis) {
    }

    private record Cached(Object fileKey, long modified, long size, Snapshot snapshot) {
    }

    private final Config config;
    private final Path state;
    private final WriterLock lock;
    private volatile Cached cache;

    /**
     * Opens (creating when needed) the store directory and removes temporary files a crashed writer left.
     *
     * @throws StoreException when the directory cannot be created or cleaned
     */
    public FileStore(Config config) {
        this.config = config;
        this.state = config.dir().resolve(STATE);
        try {
            Files.createDirectories(config.dir());
        } catch (IOException e) {
            throw new StoreException("cannot create the store directory " + config.dir() + ": " + e, e);
        }
        this.lock = new WriterLock(config.dir().resolve("LOCK"));
        lock.withLock(() -> AtomicFiles.removeLeftovers(config.dir()));
    }

    public Path dir() {
        return config.dir();
    }

    @Override
    public Snapshot snapshot() {
        try {
            BasicFileAttributes a = Files.readAttributes(state, BasicFileAttributes.class);
            Cached c = cache;
            if (c != null && Objects.equals(c.fileKey(), a.fileKey()) && c.modified() == a.lastModifiedTime().toMillis()
                    && c.size() == a.size()) {
                return c.snapshot();
            }
            StateFile f = MAPPER.readValue(state.toFile(), StateFile.class);
            Snapshot s = new Snapshot(f.revision(), f.objects() == null ? List.of() : f.objects(),
                    f.committedAtMillis() == null ? null : java.time.Instant.ofEpochMilli(f.committedAtMillis()));
            cache = new Cached(a.fileKey(), a.lastModifiedTime().toMillis(), a.size(), s);
            return s;
        } catch (NoSuchFileException e) {
            return new Snapshot(0, List.of());
        } catch (IOException e) {
            throw new StoreException("cannot read " + state + ": " + e.getMessage(), e);
        }
    }

    @Override
    public CommitResult commit(List<Change> changes, CommitCheck check) {
        CommitPlan.requireUniqueKeys(changes);
        return lock.withLock(() -> commitLocked(changes, check));
    }

    private CommitResult commitLocked(List<Change> changes, CommitCheck check) {
        AtomicFiles.removeLeftovers(config.dir());
        Snapshot current = snapshot();
        long next = current.revision() + 1;
        CommitPlan plan = CommitPlan.of(current.objects(), changes, next);
        if (!plan.changed()) {
            return plan.result(current.revision());
        }
        check.check(plan.before(), plan.after());
        writeJson(state, new StateFile(next, plan.after(), System.currentTimeMillis()));
        return plan.result(next);
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
        return new FileAllocations(config.dir().resolve("alloc-" + table + ".json"), first, last, lock);
    }

    static void writeJson(Path file, Object value) {
        try {
            AtomicFiles.write(file, MAPPER.writeValueAsBytes(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new StoreException("cannot encode " + file + ": " + e.getOriginalMessage(), e);
        }
    }
}
