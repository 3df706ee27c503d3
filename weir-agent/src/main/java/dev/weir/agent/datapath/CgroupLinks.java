package dev.weir.agent.datapath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfLink;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.CgroupLink;

/**
 * Cgroup links pinned by name in one directory: attached when missing or on another cgroup, kept when a pin's
 * link still sits on the cgroup asked for, detached by unpinning. Remembers which pins it checked, so that a
 * sync with nothing new touches no pin. Not thread-safe: the sync loop's thread.
 */
final class CgroupLinks {

    private final Path dir;
    /** Pins attached or checked, with the cgroup id their link is on. */
    private final Map<String, Long> verified = new HashMap<>();
    /** Cgroup paths that passed {@link PodCgroups#check}, with the inode of the directory then. */
    private final Map<String, Long> checked = new HashMap<>();

    CgroupLinks(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /**
     * Pins {@code program} on {@code cgroup} as {@code name}, unless that pin's link is already there.
     *
     * @return whether a link was attached
     */
    boolean attach(String name, BpfProgram program, AttachType type, Path cgroup, long cgroupId) {
        if (verified.getOrDefault(name, -1L) == cgroupId) {
            return false;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path pin = dir.resolve(name);
        if (Files.exists(pin)) {
            if (linkCgroup(pin) == cgroupId) {
                verified.put(name, cgroupId);
                return false;
            }
            KernelPolicyDataplane.unpin(pin);
        }
        try (CgroupLink link = CgroupLink.attach(program, cgroup, type)) {
            link.pin(pin);
        }
        verified.put(name, cgroupId);
        return true;
    }

    /**
     * Attaches {@code program} on {@code cgroup} anew, so that it runs after every program attached there so far,
     * and only then lets the link pinned as {@code name} go: the cgroup is never without one of them.
     */
    void reattach(String name, BpfProgram program, AttachType type, Path cgroup, long cgroupId) {
        Path pin = dir.resolve(name);
        try (CgroupLink link = CgroupLink.attach(program, cgroup, type)) {
            if (Files.exists(pin)) {
                KernelPolicyDataplane.unpin(pin);
            }
            link.pin(pin);
        }
        verified.put(name, cgroupId);
    }

    /**
     * The real path of a pod's cgroup as an endpoint names it, {@link PodCgroups#check}ed the first time and
     * again whenever the directory at that path is a new one (another inode).
     */
    Path podCgroup(String given) throws IOException {
        Path path = Path.of(given);
        long inode = PodCgroups.id(path);
        if (Long.valueOf(inode).equals(checked.get(given))) {
            return path;
        }
        Path real = PodCgroups.check(path);
        checked.put(given, inode);
        return real;
    }

    /** Unpins (so detaches) every link of the directory but those named; returns how many went. */
    int detachExcept(Set<String> keep) {
        int n = 0;
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!keep.contains(name)) {
                    KernelPolicyDataplane.unpin(p);
                    verified.remove(name);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    /** The cgroup id the pinned link is on; 0 when its cgroup is gone or the pin is no link. */
    private static long linkCgroup(Path pin) {
        try (BpfLink link = BpfLink.fromPin(pin)) {
            return link.info().cgroupId();
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
