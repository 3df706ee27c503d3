package dev.weir.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions for tests that need root or a kernel feature.
 *
 * <p>Outside CI an unmet requirement skips the test with the reason; with {@code CI=true} in the
 * environment it fails the test instead, so that a CI machine missing a capability cannot pass by
 * skipping everything. Stateless; safe from any thread.
 */
public final class Requirements {

    private Requirements() {
    }

    /** True when the tests run under CI ({@code CI=true}): unmet requirements fail instead of skipping. */
    public static boolean strict() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Requires that the condition holds; otherwise skips (or fails under CI) with the reason. */
    public static void require(boolean condition, String reason) {
        if (condition) {
            return;
        }
        if (strict()) {
            Assertions.fail("requirement not met under CI=true: " + reason);
        }
        Assumptions.abort(reason);
    }

    /** Like {@link #require(boolean, String)} with a lazily computed reason. */
    public static void require(boolean condition, Supplier<String> reason) {
        if (!condition) {
            require(false, reason.get());
        }
    }

    /** Requires effective uid 0 (BPF syscalls, network namespaces). */
    public static void root() {
        require(isRoot(), "needs root (uid 0): BPF syscalls and network namespaces");
    }

    /** Requires root and a mounted bpffs at /sys/fs/bpf. */
    public static void rootWithBpffs() {
        root();
        require(bpffsMounted(), "needs bpffs mounted at /sys/fs/bpf (scripts/setup.sh mounts it)");
    }

    /** True when /proc/mounts shows a bpf filesystem at /sys/fs/bpf (the empty sysfs directory is not enough). */
    public static boolean bpffsMounted() {
        try {
            return Files.readAllLines(Path.of("/proc/mounts")).stream()
                    .anyMatch(l -> l.startsWith("bpf /sys/fs/bpf ") || l.contains(" /sys/fs/bpf bpf "));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Effective uid 0, read from /proc/self/status. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.split("\\s+");
                    return f.length > 2 && f[2].equals("0");
                }
            }
        } catch (java.io.IOException e) {
            return false;
        }
        return false;
    }
}
