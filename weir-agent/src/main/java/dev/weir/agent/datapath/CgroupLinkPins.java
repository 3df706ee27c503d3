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
 * still sits on the wanted cgroup and replaces any other, {@link #detachExcept} unpins the rest. Owned by one
 * component and used from its thread; the pins outlive it (a restarted agent finds them).
 */
final class CgroupLinkPins {

    private final Path dir;
    /** Pins this owner attached or checked, with the cgroup id their link is on. */
    private final Map<String, Long> verified = new HashMap<>();

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
