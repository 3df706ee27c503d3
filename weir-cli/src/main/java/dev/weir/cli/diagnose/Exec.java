package dev.weir.cli.diagnose;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a read-only system tool ({@code ip}, {@code tc}, {@code bpftool}) and keeps what it printed: diagnose and
 * its bundle read the system the way an operator would. Stateless.
 */
final class Exec {

    static final long TIMEOUT_SECONDS = 20;

    /** What a command printed and how it ended; {@code exit} -1 when it could not run or timed out. */
    record Result(List<String> command, int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }
    }

    private Exec() {
    }

    static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            var err = p.getErrorStream();
            var errText = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(err));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(command, -1, out, "timed out after " + TIMEOUT_SECONDS + " s");
            }
            return new Result(command, p.exitValue(), out, errText.join());
        } catch (IOException e) {
            return new Result(command, -1, "", "cannot run " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(command, -1, "", "interrupted");
        }
    }

    /** {@code ip}/{@code tc} with {@code -n NETNS} when a namespace is given. */
    static List<String> inNetns(String tool, String netns, String... args) {
        List<String> c = new java.util.ArrayList<>(List.of(tool));
        if (netns != null) {
            c.addAll(List.of("-n", netns));
        }
        c.addAll(List.of(args));
        return c;
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
