package dev.weir.lab.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.weir.lab.LabException;

/**
 * The cgroup v2 hierarchy, wherever it is mounted (a hybrid host mounts it at
 * {@code /sys/fs/cgroup/unified}, a unified one at {@code /sys/fs/cgroup}). Stateless.
 */
public final class Cgroup2 {

    private Cgroup2() {
    }

    /**
     * The mount point of the cgroup2 file system, read from /proc/mounts.
     *
     * @throws LabException when no cgroup2 file system is mounted
     */
    public static Path mountPoint() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/mounts"))) {
            return lines.map(l -> l.split(" "))
                    .filter(f -> f.length > 2 && f[2].equals("cgroup2"))
                    .map(f -> Path.of(f[1].replace("\\040", " ")))
                    .findFirst()
                    .orElseThrow(() -> new LabException("no cgroup2 file system in /proc/mounts (mount one: "
                            + "mount -t cgroup2 none /sys/fs/cgroup/unified)"));
        } catch (IOException e) {
            throw new LabException("cannot read /proc/mounts: " + e.getMessage(), e);
        }
    }

    /** Creates the cgroup (and its parents). */
    public static void create(Path cgroup) {
        try {
            Files.createDirectories(cgroup);
        } catch (IOException e) {
            throw new LabException("cannot create cgroup " + cgroup + ": " + e, e);
        }
    }

    /** The pids in the cgroup (empty when it does not exist). */
    public static List<Long> pids(Path cgroup) {
        try {
            return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream()
                    .filter(s -> !s.isBlank()).map(Long::parseLong).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Kills every process in the cgroup (cgroup.kill, then SIGKILL one by one) and removes it. */
    public static void killAndRemove(Path cgroup) {
        if (!Files.isDirectory(cgroup)) {
            return;
        }
        try {
            Files.writeString(cgroup.resolve("cgroup.kill"), "1");
        } catch (IOException e) {
            pids(cgroup).forEach(Processes::kill);
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                Files.deleteIfExists(cgroup);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new LabException("cannot remove cgroup " + cgroup + " (pids " + pids(cgroup) + "): " + e, e);
                }
                pids(cgroup).forEach(Processes::kill);
                Processes.sleep(20);
            }
        }
    }
}
