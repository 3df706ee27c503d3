package dev.weir.agent.runtime;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Consumer;

/**
 * Wakes the sync loop when another process commits to the file store: watches the store directory (inotify)
 * for its state journal being appended to or compacted ({@code state.G.log}, {@code state.G.json};
 * {@link dev.weir.agent.store.FileStore#isStateFile}), so an agent sees another agent's commit at once instead of at its
 * next poll (the poll stays as the fallback). Lifetime: {@link #start} opens the watch and its one daemon
 * thread, {@link #stop} closes both. A watch that cannot be opened is logged and leaves polling alone.
 */
final class StoreDirectoryWatch {

    private final Path dir;
    private final java.util.function.Predicate<String> files;
    private final Runnable changed;
    private final Consumer<String> log;
    private WatchService watch;
    private Thread thread;

    /** Runs {@code changed} when a file of {@code dir} whose name {@code files} accepts is created or written. */
    StoreDirectoryWatch(Path dir, java.util.function.Predicate<String> files, Runnable changed, Consumer<String> log) {
        this.dir = dir;
        this.files = files;
        this.changed = changed;
        this.log = log;
    }

    synchronized void start() {
        try {
            watch = FileSystems.getDefault().newWatchService();
            dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        } catch (IOException | RuntimeException e) {
            log.accept("store: cannot watch " + dir + " (" + e + "); other agents' commits are seen at the next poll");
            watch = null;
            return;
        }
        WatchService w = watch;
        thread = Thread.ofPlatform().name("weir-store-watch").daemon(true).start(() -> run(w));
    }

    private void run(WatchService w) {
        try {
            while (true) {
                WatchKey k = w.take();
                boolean state = k.pollEvents().stream().anyMatch(e -> files.test(String.valueOf(e.context())));
                k.reset();
                if (state) {
                    changed.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // stopped
        }
    }

    synchronized void stop() {
        if (watch != null) {
            try {
                watch.close();
            } catch (IOException e) {
                // closing
            }
            watch = null;
        }
        if (thread != null) {
            thread.interrupt();
            thread = null;
        }
    }
}
