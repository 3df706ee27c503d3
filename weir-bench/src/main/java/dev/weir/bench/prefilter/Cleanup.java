package dev.weir.bench.prefilter;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What the benchmark leaves in the system beyond its own process (pins, namespaces, xdp-filter's
 * attachment), undone in reverse order exactly once: by {@link #close()} on the normal and the failing
 * path, or by a shutdown hook when the JVM is interrupted (Ctrl-C, SIGTERM). Descriptors are not
 * listed here: the kernel releases them when the process ends. Each step's failure is reported on
 * stderr and does not stop the later steps. Thread-safe.
 */
public final class Cleanup implements AutoCloseable {

    /** One undo step. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private record Named(String what, Step step) {
    }

    private final Deque<Named> steps = new ArrayDeque<>();
    private final Thread hook = Thread.ofPlatform().name("weir-bench-cleanup").unstarted(this::runAll);
    private boolean done;

    public Cleanup() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Registers an undo step; it runs before every step registered earlier. */
    public synchronized void push(String what, Step step) {
        if (done) {
            throw new IllegalStateException("cleanup already ran; cannot register '" + what + "'");
        }
        steps.push(new Named(what, step));
    }

    /** Runs the steps now; returns the number that failed. */
    public synchronized int runAll() {
        int failed = 0;
        done = true;
        while (!steps.isEmpty()) {
            Named n = steps.pop();
            try {
                n.step().run();
            } catch (Exception | Error e) {
                failed++;
                System.err.println("weir-bench: cleanup: " + n.what() + " failed: " + e.getMessage());
            }
        }
        return failed;
    }

    @Override
    public void close() {
        runAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or will run; nothing is left for it to do
        }
    }
}
