package dev.weir.datapath.lb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code target/sockclient} (src/test/c/sockclient.c, built by the test build), optionally moved
 * into a cgroup before it opens any socket, and parses its lines.
 */
final class SockClient {

    static final Path BINARY = Path.of("target", "sockclient");
    private static final Pattern OK = Pattern.compile("ok id=(\\S*) peer=(\\S+):(\\d+) local=(\\d+)");
    private static final Pattern ERR = Pattern.compile("err op=(\\S+) errno=(\\d+) (\\S+)");

    /** One try: a backend's answer with the peer the application saw, or the failed call and its errno. */
    record Result(String line, String id, String peer, int peerPort, int localPort, String op, int errno) {

        boolean ok() {
            return op == null;
        }

        static Result parse(String line) {
            Matcher m = OK.matcher(line);
            if (m.matches()) {
                return new Result(line, m.group(1), m.group(2), Integer.parseInt(m.group(3)),
                        Integer.parseInt(m.group(4)), null, 0);
            }
            m = ERR.matcher(line);
            if (m.matches()) {
                return new Result(line, null, null, 0, 0, m.group(1), Integer.parseInt(m.group(2)));
            }
            throw new IllegalStateException("unexpected client output: " + line);
        }
    }

    private SockClient() {
    }

    /**
     * Runs the client: {@code mode} tcp/udp/udpc/listen, {@code count} tries to {@code addr:port}, bound to
     * {@code bind} ("addr", "port") when given. {@code cgroup} null: stays in the test's cgroup.
     */
    static List<Result> run(Path cgroup, String mode, String addr, int port, int count, String... bind) {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toAbsolutePath().toString()));
        if (cgroup != null) {
            cmd.addAll(List.of("--cgroup", cgroup.toString()));
        }
        cmd.addAll(List.of(mode, addr, Integer.toString(port), Integer.toString(count)));
        cmd.addAll(List.of(bind));
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " failed (exit " + (p.isAlive() ? "timeout" : p.exitValue())
                        + "): " + out);
            }
            return out.lines().map(Result::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static boolean built() {
        return Files.isExecutable(BINARY);
    }
}
