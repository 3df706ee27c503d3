package dev.weir.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tcpdump on a lab node's underlay interface ({@code eth0} in {@code weir-<node>}), packets the node sends only
 * ({@code -Q out}): what left the node, whoever made it. {@link #stop} ends it and counts the packets it printed.
 */
final class UnderlayCapture implements AutoCloseable {

    private final Process process;
    private final Path out;
    private final String what;

    private UnderlayCapture(Process process, Path out, String what) {
        this.process = process;
        this.out = out;
        this.what = what;
    }

    /** Starts the capture and returns once tcpdump listens. */
    static UnderlayCapture start(String node, String filter) throws IOException {
        Path out = Files.createTempFile("weir-capture-", ".txt");
        Process p = new ProcessBuilder(List.of("nsenter", "--net=/run/netns/weir-" + node, "tcpdump", "-i", "eth0", "-Q", "out",
                "--immediate-mode", "-nn", "-l", filter)).redirectOutput(out.toFile()).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        String line = err.readLine(); // "verbose output suppressed ...", then "listening on eth0, ..."
        for (int i = 0; i < 3 && line != null && !line.contains("listening"); i++) {
            line = err.readLine();
        }
        if (line == null || !line.contains("listening")) {
            p.destroyForcibly();
            Files.deleteIfExists(out);
            throw new IllegalStateException("tcpdump on " + node + " did not start: " + line);
        }
        return new UnderlayCapture(p, out, node + " '" + filter + "'");
    }

    /**
     * Waits (at most 10 s) until the capture has printed a packet that matches: what the test knows was sent has
     * been written before the capture stops.
     */
    void await(java.util.function.Predicate<String> packet) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.readAllLines(out, StandardCharsets.UTF_8).stream().noneMatch(packet) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** Stops the capture: the packets it saw. */
    List<String> stop() throws IOException, InterruptedException {
        process.destroy(); // SIGTERM: tcpdump flushes and exits
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        Files.deleteIfExists(out);
    }

    @Override
    public String toString() {
        return what;
    }
}
