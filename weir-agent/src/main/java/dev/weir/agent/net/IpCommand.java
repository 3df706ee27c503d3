package dev.weir.agent.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * iproute2 and friends, run as processes: {@code ip [-n NETNS] ...}, {@code nsenter --net=PATH ip ...}. Stateless.
 */
public final class IpCommand {

    private static final long TIMEOUT_SECONDS = 20;

    private IpCommand() {
    }

    /** {@code ip [-n netns] args...}: the node's namespace by name, or this process's own when null. */
    public static List<String> ip(String netns, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        if (netns != null) {
            argv.addAll(List.of("-n", netns));
        }
        argv.addAll(args);
        return argv;
    }

    /**
     * Runs a command, returning its stdout.
     *
     * @throws Failed when it cannot run, exits non-zero (with its stderr) or takes longer than 20 s
     */
    public static String run(List<String> argv, String stdin) {
        try {
            Process p = new ProcessBuilder(argv).start();
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new Failed(String.join(" ", argv) + " did not finish in " + TIMEOUT_SECONDS + " s", "");
            }
            if (p.exitValue() != 0) {
                throw new Failed(String.join(" ", argv) + " failed (exit " + p.exitValue() + ")",
                        new String(err.join(), StandardCharsets.UTF_8).strip());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Failed("cannot run " + argv.get(0), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failed("interrupted while running " + argv.get(0), "");
        }
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** A command failed; {@link #stderr} is what it said. */
    public static final class Failed extends RuntimeException {
        private final String stderr;

        public Failed(String message, String stderr) {
            super(stderr == null || stderr.isEmpty() ? message : message + ": " + stderr);
            this.stderr = stderr == null ? "" : stderr;
        }

        public String stderr() {
            return stderr;
        }
    }
}
