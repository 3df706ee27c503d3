package dev.weir.agent.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The store's writer lock: an exclusive {@code flock}-style lock on {@code <dir>/LOCK}, so that writers in
 * different processes (the agents of a lab's nodes, the CLI) take turns. Readers never lock: they read
 * snapshots that are only ever replaced by rename and journals that grow by checksummed records (a writer
 * cuts off only a torn tail; {@link Journal}). The lock is released when the action ends, or by the
 * kernel when the process dies. Thread-safe.
 */
final class WriterLock {

    private final Path file;
    private final ReentrantLock local = new ReentrantLock();

    WriterLock(Path file) {
        this.file = file;
    }

    /** Runs the action holding the lock, waiting for other writers. Reentrant: a nested call just runs. */
    <T> T withLock(Supplier<T> action) {
        local.lock();
        try {
            if (local.getHoldCount() > 1) {
                return action.get();
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = acquire(ch)) {
                return action.get();
            } catch (IOException e) {
                throw new StoreException("cannot lock " + file + ": " + e, e);
            }
        } finally {
            local.unlock();
        }
    }

    boolean heldByCurrentThread() {
        return local.isHeldByCurrentThread();
    }

    private FileLock acquire(FileChannel ch) throws IOException {
        while (true) {
            try {
                return ch.lock();
            } catch (OverlappingFileLockException e) {
                // another store instance in this JVM holds it (tests); wait for it like another process
                try {
                    Thread.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new StoreException("interrupted while waiting for " + file, ie);
                }
            }
        }
    }
}
