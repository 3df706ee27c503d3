package dev.weir.lab.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    /** The process's command line (its arguments joined by spaces), or "" when it is gone. */
    public static String commandLine(long pid) {
        return arguments(pid).map(a -> String.join(" ", a))
                .orElseGet(() -> ProcessHandle.of(pid).flatMap(p -> p.info().commandLine()).orElse(""));
    }

    /**
     * The process's whole argument vector, {@code argv[0]} included, from {@code /proc/<pid>/cmdline}; empty
     * when the process is gone (or a zombie). {@link ProcessHandle.Info} reads at most a page of that file and
     * then gives no arguments at all: too little for a JVM started with a test class path.
     */
    public static Optional<List<String>> arguments(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (raw.length == 0) {
                return Optional.empty();
            }
            String text = new String(raw, StandardCharsets.UTF_8);
            String args = text.endsWith("\0") ? text.substring(0, text.length() - 1) : text;
            return Optional.of(List.of(args.split("\0", -1)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
