package dev.weir.ebpf;

import dev.weir.ebpf.netns.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the running kernel supports, probed once and cached for the life of the JVM. Each probe answers
 * {@link Probe.Supported}, {@link Probe.Unsupported} (with the feature and kernel version) or
 * {@link Probe.Inconclusive} (with the cause, e.g. missing privileges). Never throws for a kernel answer.
 * Thread-safe.
 */
public final class Features {

    private static final Map<String, Probe> CACHE = new ConcurrentHashMap<>();

    private Features() {
    }

    public static Probe programType(ProgramType type) {
        return cached("program type " + type, () -> answer(LibBpfNet.libbpfProbeBpfProgType(type.code()),
                "program type " + type));
    }

    public static Probe mapType(MapType type) {
        return cached("map type " + type, () -> answer(LibBpfNet.libbpfProbeBpfMapType(type.code()), "map type " + type));
    }

    /** Whether programs of {@code type} may call helper {@code name} ({@code bpf_} prefix optional). */
    public static Probe helper(ProgramType type, String name) {
        String feature = "helper " + name + " in " + type + " programs";
        return cached(feature, () -> {
            int id = HelperIds.id(name);
            if (id < 0) {
                return new Probe.Inconclusive("unknown helper name '" + name + "'");
            }
            return HelperProbe.probe(type, id, feature);
        });
    }

    /**
     * Whether TC programs can attach as tcx links. Probed without touching any interface: a tcx link
     * request for interface index 0 fails with ENODEV where tcx exists and EINVAL where it does not.
     */
    public static Probe tcx() {
        return cached("tcx", () -> {
            try (Fd prog = TrivialProgram.load(ProgramType.SCHED_CLS, null, 0)) {
                int rc = LibBpfSys.bpfLinkCreate(prog.get(), 0, AttachType.TCX_INGRESS.code(), java.lang.foreign.MemorySegment.NULL);
                if (rc >= 0) {
                    new Fd(rc).close();
                    return new Probe.Inconclusive("a tcx link on ifindex 0 unexpectedly succeeded");
                }
                return switch (Errno.of(rc)) {
                    case ENODEV -> new Probe.Supported();
                    case EINVAL -> new Probe.Unsupported("tcx (BPF_TCX_INGRESS links)", kernel());
                    default -> new Probe.Inconclusive("bpf_link_create(TCX_INGRESS): " + Errno.describe(rc));
                };
            } catch (BpfKernelException e) {
                return new Probe.Inconclusive(e.getMessage());
            }
        });
    }

    /**
     * Whether cgroup {@code sock_addr} programs load for the hook {@code type} (e.g.
     * {@link AttachType#CGROUP_INET4_GETPEERNAME}, the newest of the socket-LB hooks): a trivial program with
     * that expected attach type is loaded and closed at once; the kernel refuses an attach type it does not
     * know with EINVAL.
     */
    public static Probe cgroupSockAddr(AttachType type) {
        String feature = "cgroup sock_addr hook " + type;
        return cached(feature, () -> {
            try (Fd prog = TrivialProgram.load(ProgramType.CGROUP_SOCK_ADDR, type, 1)) {
                return new Probe.Supported();
            } catch (BpfKernelException e) {
                return e.errno() == Errno.EINVAL ? new Probe.Unsupported(feature, kernel())
                        : new Probe.Inconclusive(e.getMessage());
            }
        });
    }

    /**
     * Whether {@code ifname} (in the calling thread's namespace) takes XDP in native mode: attaches a
     * trivial XDP program in native mode and detaches it at once. Inconclusive when another XDP program
     * is already attached there.
     */
    public static Probe xdpNative(String ifname) {
        String key = "xdp native " + netnsId() + " " + ifname;
        return cached(key, () -> {
            try (Fd prog = TrivialProgram.load(ProgramType.XDP, AttachType.XDP, 2)) {
                int rc = XdpLink.linkCreate(prog.get(), NetInterface.index(ifname), XdpMode.NATIVE);
                if (rc >= 0) {
                    new Fd(rc).close();
                    return new Probe.Supported();
                }
                return switch (Errno.of(rc)) {
                    case EOPNOTSUPP, ENOTSUPP, EINVAL -> new Probe.Unsupported("native XDP on " + ifname, kernel());
                    default -> new Probe.Inconclusive("bpf_link_create(xdp, " + ifname + "): " + Errno.describe(rc));
                };
            } catch (BpfKernelException e) {
                return new Probe.Inconclusive(e.getMessage());
            }
        });
    }

    private static Probe answer(int rc, String feature) {
        if (rc == 1) {
            return new Probe.Supported();
        }
        if (rc == 0) {
            return new Probe.Unsupported(feature, kernel());
        }
        return new Probe.Inconclusive("probing " + feature + ": " + Errno.describe(rc));
    }

    private static Probe cached(String key, Supplier<Probe> probe) {
        Probe p = CACHE.get(key);
        if (p == null) {
            p = probe.get();
            if (!(p instanceof Probe.Inconclusive)) {
                CACHE.put(key, p);
            }
        }
        return p;
    }

    private static String netnsId() {
        try {
            return NetworkNamespace.currentId();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The running kernel's release, e.g. {@code 6.18.0}. */
    public static String kernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }
}
