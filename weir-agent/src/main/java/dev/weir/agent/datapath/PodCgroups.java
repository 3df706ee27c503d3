package dev.weir.agent.datapath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which cgroups the socket-LB hooks may be attached to: a pod's own cgroup v2 directory, never the root
 * of a cgroup2 mount (every process of the host) nor the agent's own cgroup. Stateless; reads
 * {@code /proc/mounts} and {@code /proc/self/cgroup} on every check.
 */
public final class PodCgroups {

    private PodCgroups() {
    }

    /**
     * The cgroup's real path when it may carry the hooks.
     *
     * @throws IllegalArgumentException naming what is wrong: not absolute, no cgroup v2 directory, the
     *                                  root of the hierarchy, the agent's own cgroup
     * @throws IOException              when it cannot be resolved (e.g. it does not exist)
     */
    static Path check(Path cgroup) throws IOException {
        return check(cgroup, Path.of("/proc/self/cgroup"));
    }

    /** {@link #check(Path)} with this process's cgroup read from {@code selfCgroup} ({@code /proc/self/cgroup}'s format). */
    static Path check(Path cgroup, Path selfCgroup) throws IOException {
        if (!cgroup.isAbsolute()) {
            throw new IllegalArgumentException("cgroup " + cgroup + " is not an absolute path");
        }
        Path real = cgroup.toRealPath();
        Path mount = mounts().stream().filter(real::startsWith).findFirst().orElseThrow(
                () -> new IllegalArgumentException("cgroup " + cgroup + " is not on a cgroup2 file system"));
        if (real.equals(mount)) {
            throw new IllegalArgumentException("cgroup " + cgroup + " is the root of the cgroup2 hierarchy (every"
                    + " process of the host); only a pod's own cgroup takes the socket-LB hooks");
        }
        if (!Files.exists(real.resolve("cgroup.procs"))) {
            throw new IllegalArgumentException("cgroup " + cgroup + " is not a cgroup directory (no cgroup.procs)");
        }
        if (real.equals(own(mount, selfCgroup))) {
            throw new IllegalArgumentException("cgroup " + cgroup + " is the agent's own cgroup");
        }
        return real;
    }

    /**
     * A cgroup path as a runtime gives it ({@code runtimeConfig.cgroupPath}): a directory that exists as given, or
     * else a path inside the first cgroup2 mount.
     */
    public static String resolve(String path) {
        if (Files.isDirectory(Path.of(path))) {
            return path;
        }
        List<Path> mounts = mounts();
        return mounts.isEmpty() ? path : mounts.get(0).resolve(path.replaceFirst("^/+", "")).toString();
    }

    /** The cgroup's id (its inode number on cgroup v2), what a cgroup link reports. */
    static long id(Path cgroup) throws IOException {
        return (Long) Files.getAttribute(cgroup, "unix:ino");
    }

    private static List<Path> mounts() {
        try {
            return Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
                    .filter(f -> f.length > 2 && f[2].equals("cgroup2")).map(f -> Path.of(f[1])).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This process's cgroup v2 directory under the mount ({@code 0::/path} in /proc/self/cgroup). */
    private static Path own(Path mount, Path selfCgroup) throws IOException {
        return Files.readAllLines(selfCgroup).stream().filter(l -> l.startsWith("0::"))
                .map(l -> mount.resolve(l.substring(3).replaceFirst("^/", ""))).findFirst().orElse(null);
    }
}
