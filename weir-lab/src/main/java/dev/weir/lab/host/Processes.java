package dev.weir.lab.host;

import java.util.Optional;

/** Small helpers over {@link ProcessHandle} for processes the lab started. Stateless. */
public final class Processes {

    private Processes() {
    }

    /** SIGKILLs the process if it exists. */
    public static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** True when the process exists and is not a zombie. */
    public static boolean alive(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        return p.isPresent() && p.get().isAlive();
    }

    /** The process's command line, or "" when it is gone. */
    public static String commandLine(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().commandLine()).orElse("");
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
