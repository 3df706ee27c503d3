package dev.weir.lab.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.weir.lab.LabException;

/**
 * Runs {@code ip}, {@code nsenter} and {@code sysctl}: the one place the lab shells out. A failure names
 * the command, its exit code, its stderr and (for {@code ip -batch}) the batch it was fed. Stateless.
 */
public final class Shell {

    private static final long TIMEOUT_SECONDS = 30;

    private Shell() {
    }

    /** What a command did. */
    public record Result(List<String> command, int exit, String stdout, String stderr) {
        public boolean ok() {
            return exit == 0;
        }
    }

    /**
     * Runs the command and returns its stdout.
     *
     * @throws LabException when it cannot start, exits non-zero or runs for more than 30 s
     */
    public static String run(String... command) {
        return check(exec(List.of(command), null), null).stdout();
    }

    /** Runs {@code ip [-n NETNS] -batch -} on the lines; throws like {@link #run}. */
    public static void ipBatch(String netns, List<String> lines) {
        List<String> command = new ArrayList<>(List.of("ip"));
        if (netns != null) {
            command.addAll(List.of("-n", netns));
        }
        command.addAll(List.of("-batch", "-"));
        String batch = String.join("\n", lines) + "\n";
        check(exec(command, batch), batch);
    }

    /** Runs {@code ip -force -batch -}: every line is tried, failures are ignored (for cleanup). */
    public static Result ipBatchForce(List<String> lines) {
        return exec(List.of("ip", "-force", "-batch", "-"), String.join("\n", lines) + "\n");
    }

    /** Runs the command and returns what it did, without judging the exit code. */
    public static Result exec(List<String> command, String stdin) {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        try {
            Process p = pb.start();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LabException("`" + String.join(" ", command) + "` did not finish in " + TIMEOUT_SECONDS + " s");
            }
            return new Result(List.copyOf(command), p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new LabException("cannot run `" + String.join(" ", command) + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while running `" + String.join(" ", command) + "`", e);
        }
    }

    private static Result check(Result r, String batch) {
        if (!r.ok()) {
            String message = "`" + String.join(" ", r.command()) + "` failed (exit " + r.exit() + "): "
                    + r.stderr().strip();
            if (batch != null) {
                message += "\nbatch was:\n" + batch.strip();
            }
            throw new LabException(message);
        }
        return r;
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, r -> Thread.ofVirtual().start(r));
    }
}
