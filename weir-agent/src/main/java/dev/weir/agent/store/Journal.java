package dev.weir.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * One piece of a {@link FileStore}'s state kept as a compacted snapshot plus an append-only journal of what
 * changed since, so that a write costs what it changes and a reader reads only what was appended since it last
 * looked. Files, for the journal {@code NAME} in the store directory:
 *
 * <pre>
 * NAME.G.json   generation G's snapshot: the state the records of NAME.G.log apply to (absent: empty state, G = 1)
 * NAME.G.log    records, each: magic "WJR1" (4 bytes), payload length (4), CRC32C of the payload (4), payload
 * </pre>
 *
 * <p>A record's payload is JSON ({@link Format#apply}); the one-byte payload {@code S} seals a journal: its state
 * continues, unchanged, as generation G + 1. A record that is incomplete or fails its checksum ends the journal
 * for readers (a writer appending, or one that crashed: a torn tail); the next writer cuts it off before it
 * appends. Appends are forced to disk ({@code fdatasync}) before the writer lock is released, so a write that
 * returned survives a crash.
 *
 * <p>Compaction ({@link #compactIfDue}, by a writer, when the journal has grown past the snapshot): write
 * NAME.(G+1).json (atomically), seal NAME.G.log, delete NAME.G.*. A reader that was following G reads the seal
 * and goes on with G + 1 from offset 0; a reader that finds its journal gone relists from the newest snapshot.
 * A compaction cut short by a crash is finished by the next writer ({@link #prepareWrite}).
 *
 * <p>Writers hold the store's {@link WriterLock} around {@link #prepareWrite}, {@link #append} and
 * {@link #compactIfDue}; readers never lock. Thread-safe (one monitor per instance); one instance per process
 * and journal is enough, but several work (tests open several over one directory).
 *
 * @param <S> the state; the journal hands out the instance it keeps, so a mutable state is read under the
 *            journal's monitor ({@code synchronized (journal)})
 */
final class Journal<S> {

    /** How a state is read, written and changed by one record. */
    interface Format<S> {
        S empty();

        S readSnapshot(byte[] json) throws IOException;

        /**
         * The snapshot, read while this process already holds {@code previous} (a relist: its journal was compacted
         * before it read the last records). A format may hand back parts of {@code previous} that did not change, so
         * that the process and whoever kept the previous state share them instead of holding two copies.
         */
        default S readSnapshot(byte[] json, S previous) throws IOException {
            return readSnapshot(json);
        }

        byte[] writeSnapshot(S state) throws IOException;

        /** The state after one record (may change {@code state} in place and return it). */
        S apply(S state, byte[] record) throws IOException;
    }

    private static final int MAGIC = 0x574a5231; // "WJR1"
    private static final int HEADER = 12;
    private static final int MAX_RECORD = 1 << 30;
    private static final byte[] SEAL = {'S'};

    private final Path dir;
    private final String name;
    private final Format<S> format;
    private final long compactAbove;
    private boolean listed;
    private long generation;
    private long offset;
    private long snapshotBytes;
    private S state;

    /**
     * @param compactAbove the journal is compacted once it is longer than this and than the snapshot
     */
    Journal(Path dir, String name, Format<S> format, long compactAbove) {
        this.dir = dir;
        this.name = name;
        this.format = format;
        this.compactAbove = compactAbove;
    }

    /** The state with every complete record applied: reads what was appended since the last call. */
    synchronized S read() {
        if (!listed) {
            relist();
        }
        while (true) {
            byte[] tail;
            try {
                tail = readFrom(log(generation), offset);
            } catch (NoSuchFileException e) {
                if (newestGeneration() <= generation) {
                    return state; // nothing appended to this generation yet
                }
                relist(); // compacted past us
                continue;
            } catch (IOException e) {
                throw new StoreException("cannot read " + log(generation) + ": " + e, e);
            }
            ByteBuffer buf = ByteBuffer.wrap(tail);
            boolean sealed = false;
            while (!sealed) {
                byte[] payload = next(buf);
                if (payload == null) {
                    break;
                }
                sealed = java.util.Arrays.equals(payload, SEAL);
                if (!sealed) {
                    state = apply(payload);
                }
            }
            offset += buf.position();
            if (!sealed) {
                return state;
            }
            generation++;
            offset = 0;
        }
    }

    /**
     * The state as last read, without reading: for a writer holding the writer lock after {@link #prepareWrite},
     * when nothing can have been appended since.
     */
    synchronized S current() {
        return listed ? state : read();
    }

    /**
     * Readies a write (the caller holds the writer lock): finishes a compaction a crashed writer left, reads
     * up to the end, and cuts off a torn tail.
     *
     * @return the state the write applies to
     */
    synchronized S prepareWrite() {
        finishCompaction();
        S s = read();
        try (FileChannel ch = FileChannel.open(log(generation), StandardOpenOption.WRITE)) {
            if (ch.size() > offset) {
                ch.truncate(offset);
                ch.force(false);
            }
        } catch (NoSuchFileException e) {
            // nothing appended yet
        } catch (IOException e) {
            throw new StoreException("cannot cut the torn tail of " + log(generation) + ": " + e, e);
        }
        return s;
    }

    /**
     * Appends one record and forces it to disk (the caller holds the writer lock and called {@link #prepareWrite}),
     * then takes {@code applied} of the state as the new state (the caller knows what the record does).
     */
    synchronized void append(byte[] payload, UnaryOperator<S> applied) {
        Path log = log(generation);
        try {
            boolean created = !Files.exists(log);
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                writeFully(ch, frame(payload), offset);
                ch.force(false);
            }
            if (created) {
                AtomicFiles.forceDirectory(dir);
            }
        } catch (IOException e) {
            throw new StoreException("cannot append to " + log + ": " + e, e);
        }
        offset += HEADER + payload.length;
        state = applied.apply(state);
    }

    /** Compacts when the journal has outgrown both {@code compactAbove} and the snapshot (the caller holds the writer lock). */
    synchronized void compactIfDue() {
        if (offset > compactAbove && offset > snapshotBytes) {
            compact();
        }
    }

    /** Writes the state as the next generation's snapshot, seals this generation's journal and deletes it. */
    synchronized void compact() {
        read();
        long next = generation + 1;
        try {
            byte[] snapshot = format.writeSnapshot(state);
            AtomicFiles.write(snapshot(next), snapshot);
            seal(log(generation), offset);
            Files.deleteIfExists(log(generation));
            Files.deleteIfExists(snapshot(generation));
            snapshotBytes = snapshot.length;
        } catch (IOException e) {
            throw new StoreException("cannot compact " + dir.resolve(name) + ": " + e, e);
        }
        generation = next;
        offset = 0;
    }

    /** Where the records read so far end: it moves only when a writer appends or compacts. */
    record Position(long generation, long offset) {
    }

    /** The end of what has been read ({@link #read} or {@link #prepareWrite}). */
    synchronized Position position() {
        return new Position(generation, offset);
    }

    /** The generation being appended to (tests). */
    synchronized long generation() {
        return generation;
    }

    private void relist() {
        while (true) {
            long g = newestGeneration();
            if (g == 0) {
                state = format.empty();
                generation = 1;
                snapshotBytes = 0;
            } else {
                try {
                    byte[] json = readFrom(snapshot(g), 0);
                    state = state == null ? format.readSnapshot(json) : format.readSnapshot(json, state);
                    generation = g;
                    snapshotBytes = json.length;
                } catch (NoSuchFileException e) {
                    continue; // compacted again meanwhile
                } catch (IOException e) {
                    throw new StoreException("cannot read " + snapshot(g) + ": " + e.getMessage(), e);
                }
            }
            offset = 0;
            listed = true;
            return;
        }
    }

    /**
     * Journals older than the newest snapshot are left by a compaction that a crash cut short: seal them (their
     * readers go on with the next generation, whose snapshot holds their state) and delete them.
     */
    private void finishCompaction() {
        long newest = newestGeneration();
        for (Path p : files()) {
            long g = generationOf(p.getFileName().toString());
            if (g >= newest || g < 0) {
                continue;
            }
            try {
                if (p.getFileName().toString().endsWith(".log")) {
                    seal(p, validLength(p));
                }
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new StoreException("cannot finish the compaction of " + p + ": " + e, e);
            }
        }
    }

    /** Appends the seal at {@code end} (cutting anything after it), unless the journal ends with one already. */
    private static void seal(Path log, long end) throws IOException {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.truncate(end);
            writeFully(ch, frame(SEAL), end);
            ch.force(false);
        }
    }

    /** The length of a journal's complete records, a seal it may end with left out. */
    private static long validLength(Path log) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(readFrom(log, 0));
        long end = 0;
        byte[] payload;
        while ((payload = next(buf)) != null && !java.util.Arrays.equals(payload, SEAL)) {
            end = buf.position();
        }
        return end;
    }

    private S apply(byte[] payload) {
        try {
            return format.apply(state, payload);
        } catch (IOException e) {
            throw new StoreException("cannot read a record of " + log(generation) + " at " + offset + ": " + e.getMessage(), e);
        }
    }

    /** The next complete, intact record's payload, or null (the end, or a torn tail: the position stays before it). */
    private static byte[] next(ByteBuffer buf) {
        if (buf.remaining() < HEADER) {
            return null;
        }
        int start = buf.position();
        int magic = buf.getInt(start);
        int length = buf.getInt(start + 4);
        int crc = buf.getInt(start + 8);
        if (magic != MAGIC || length < 0 || length > MAX_RECORD || buf.remaining() - HEADER < length) {
            return null;
        }
        byte[] payload = new byte[length];
        buf.get(start + HEADER, payload);
        if (crc(payload) != crc) {
            return null;
        }
        buf.position(start + HEADER + length);
        return payload;
    }

    private static ByteBuffer frame(byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
        b.putInt(MAGIC).putInt(payload.length).putInt(crc(payload)).put(payload);
        return b.flip();
    }

    private static int crc(byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(payload);
        return (int) c.getValue();
    }

    private static byte[] readFrom(Path file, long from) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size <= from) {
                return new byte[0];
            }
            if (size - from > Integer.MAX_VALUE - 16) {
                throw new StoreException(file + " is too large to read (" + size + " bytes)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
            while (buf.hasRemaining()) {
                int n = ch.read(part(buf), from + buf.position());
                if (n < 0) {
                    break;
                }
                buf.position(buf.position() + n);
            }
            return buf.array();
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.write(part(buf), at);
            buf.position(buf.position() + n);
            at += n;
        }
    }

    /** At most this much of a heap buffer per read or write: the JDK copies it through a direct buffer that large. */
    private static final int IO_PART = 256 * 1024;

    /**
     * The next {@link #IO_PART} bytes of {@code buf} (a view; the caller moves {@code buf}'s position). A channel
     * reads and writes a heap buffer through a temporary direct buffer of its size, which the thread then keeps:
     * one read of a 10 MB record left 10 MB of native memory with the agent for good.
     */
    private static ByteBuffer part(ByteBuffer buf) {
        return buf.slice(buf.position(), Math.min(buf.remaining(), IO_PART));
    }

    private long newestGeneration() {
        long newest = 0;
        for (Path p : files()) {
            String n = p.getFileName().toString();
            if (n.endsWith(".json")) {
                newest = Math.max(newest, generationOf(n));
            }
        }
        return newest;
    }

    /** This journal's snapshots and journals. */
    private List<Path> files() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> generationOf(p.getFileName().toString()) >= 0).toList();
        } catch (IOException e) {
            throw new StoreException("cannot list " + dir + ": " + e, e);
        }
    }

    /** G of {@code NAME.G.json} or {@code NAME.G.log}, or -1 for any other name. */
    private long generationOf(String file) {
        String suffix = file.endsWith(".json") ? ".json" : file.endsWith(".log") ? ".log" : null;
        if (suffix == null || !file.startsWith(name + ".")) {
            return -1;
        }
        String g = file.substring(name.length() + 1, file.length() - suffix.length());
        return !g.isEmpty() && g.length() < 18 && g.chars().allMatch(Character::isDigit) ? Long.parseLong(g) : -1;
    }

    private Path snapshot(long g) {
        return dir.resolve(name + "." + g + ".json");
    }

    private Path log(long g) {
        return dir.resolve(name + "." + g + ".log");
    }
}
