package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The whole kernel's BPF objects, like {@code bpftool prog/map/link list}, and what is attached to an
 * interface. Stateless; every call asks the kernel afresh. Objects that disappear while being listed
 * are skipped. Kernel failures raise {@link BpfKernelException}.
 */
public final class BpfSystem {

    private static final long XDP_QUERY_OPTS_SIZE = 32;
    private static final long PROG_QUERY_OPTS_SIZE = 40;
    private static final int MAX_TCX_PROGRAMS = 64;

    private BpfSystem() {
    }

    public static List<ProgramInfo> programs() {
        return list(LibBpfSys.IdKind.PROGRAM, fd -> Infos.program(fd, "program"));
    }

    /** The program of that id; empty when there is none (any more). */
    public static java.util.Optional<ProgramInfo> program(int id) {
        int fd = LibBpfSys.getFdById(LibBpfSys.IdKind.PROGRAM, id);
        if (fd == -Errno.ENOENT.code()) {
            return java.util.Optional.empty();
        }
        try (Fd f = Fd.check(fd, "bpf_prog_get_fd_by_id", "id " + id)) {
            return java.util.Optional.of(Infos.program(f, "program " + id));
        }
    }

    public static List<MapInfo> maps() {
        return list(LibBpfSys.IdKind.MAP, fd -> Infos.map(fd, "map"));
    }

    public static List<LinkInfo> links() {
        return list(LibBpfSys.IdKind.LINK, fd -> Infos.link(fd, "link"));
    }

    private static <T> List<T> list(LibBpfSys.IdKind kind, Function<Fd, T> info) {
        List<T> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment next = arena.allocate(ValueLayout.JAVA_INT);
            int id = 0;
            while (true) {
                int rc = LibBpfSys.getNextId(kind, id, next);
                if (rc == -Errno.ENOENT.code()) {
                    return out;
                }
                Native.check(rc, "bpf_" + kind.name().toLowerCase() + "_get_next_id", "id " + id);
                id = next.get(ValueLayout.JAVA_INT, 0);
                int fd = LibBpfSys.getFdById(kind, id);
                if (fd == -Errno.ENOENT.code()) {
                    continue;                       // gone meanwhile
                }
                try (Fd f = Fd.check(fd, "bpf_" + kind.name().toLowerCase() + "_get_fd_by_id", "id " + id)) {
                    out.add(info.apply(f));
                }
            }
        }
    }

    /** The XDP programs on {@code ifname}, resolved in the calling thread's namespace. */
    public static XdpStatus xdpQuery(String ifname) {
        return xdpQuery(NetInterface.index(ifname));
    }

    static XdpStatus xdpQuery(int ifindex) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(XDP_QUERY_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, XDP_QUERY_OPTS_SIZE);
            Native.check(LibBpfNet.bpfXdpQuery(ifindex, 0, opts), "bpf_xdp_query", "ifindex " + ifindex);
            return new XdpStatus(ifindex, opts.get(ValueLayout.JAVA_INT, 8), opts.get(ValueLayout.JAVA_INT, 12),
                    opts.get(ValueLayout.JAVA_INT, 20), opts.get(ValueLayout.JAVA_INT, 16),
                    Byte.toUnsignedInt(opts.get(ValueLayout.JAVA_BYTE, 24)));
        }
    }

    /** Ids of the programs attached through tcx to {@code ifname} in {@code direction}, in run order. */
    public static List<Integer> tcxQuery(String ifname, TcDirection direction) {
        int ifindex = NetInterface.index(ifname);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(ValueLayout.JAVA_INT, MAX_TCX_PROGRAMS);
            MemorySegment opts = arena.allocate(PROG_QUERY_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, PROG_QUERY_OPTS_SIZE);
            opts.set(ValueLayout.ADDRESS, 16, ids);
            opts.set(ValueLayout.JAVA_INT, 24, MAX_TCX_PROGRAMS);
            Native.check(LibBpfSys.bpfProgQueryOpts(ifindex, direction.tcxAttachType().code(), opts),
                    "bpf_prog_query(" + direction.tcxAttachType() + ")", ifname);
            int count = opts.get(ValueLayout.JAVA_INT, 24);
            List<Integer> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(ids.getAtIndex(ValueLayout.JAVA_INT, i));
            }
            return out;
        }
    }
}
