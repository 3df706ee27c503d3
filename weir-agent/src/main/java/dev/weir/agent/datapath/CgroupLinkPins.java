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
 * One directory of pinned cgroup links, each named after what it serves: {@link #attach} keeps a pin whose link
 * still sits on the wanted cgroup and replaces any other, {@link #detachExcept} unpins the rest; {@link #podCgroup}
 * checks a pod's cgroup before anything is attached to it. Used by the socket LB and the sockmap, each with its
 * own directory, from its own thread; the pins outlive it (a restarted agent finds them).
 */
final class CgroupLinkPins {

    private final Path dir;
    /** Pins this owner attached or checked, with the cgroup id their link is on. */
    private final Map<String, Long> verified = new HashMap<>();
    /** Cgroup paths that passed {@link PodCgroups#check}, with the inode of the directory then. */
    private final Map<String, Long> checked = new HashMap<>();

    CgroupLinkPins(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** Attaches {@code program} at {@code type} to the cgroup (id {@code cgroupId}) and pins it as {@code name}, unless already there. */
    void attach(String name, BpfProgram program, AttachType type, Path cgroup, long cgroupId) throws IOException {
        if (verified.getOrDefault(name, -1L) == cgroupId) {
            return;
        }
        Files.createDirectories(dir);
        Path pin = dir.resolve(name);
        if (Files.exists(pin)) {
            if (linkCgroup(pin) == cgroupId) {
                verified.put(name, cgroupId);
                return;
            }
            KernelPolicyDataplane.unpin(pin);
        }
        try (CgroupLink link = CgroupLink.attach(program, cgroup, type)) {
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

    /** Unpins (so detaches) every link of the directory not named in {@code keep}; how many went. */
    int detachExcept(Set<String> keep) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
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
