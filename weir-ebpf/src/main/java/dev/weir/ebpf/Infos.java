package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Reads {@code struct bpf_prog_info}, {@code bpf_map_info} and {@code bpf_link_info} through
 * {@code bpf_obj_get_info_by_fd}. Offsets are those of {@code linux/bpf.h} (UAPI; stable by contract);
 * the link part for tcx comes from kernels newer than the installed headers.
 */
final class Infos {

    private static final int PROG_INFO_SIZE = 232;
    private static final int MAP_INFO_SIZE = 88;
    private static final int LINK_INFO_SIZE = 48;
    private static final int NAME_LEN = 16;

    private Infos() {
    }

    static MapInfo map(Fd fd, String object) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = get(arena, fd, MAP_INFO_SIZE, object);
            return new MapInfo(u32(info, 4), name(info, 24), MapType.of(u32(info, 0)).orElse(MapType.UNSPEC),
                    u32(info, 8), u32(info, 12), u32(info, 16), u32(info, 20));
        }
    }

    static ProgramInfo program(Fd fd, String object) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = get(arena, fd, PROG_INFO_SIZE, object);
            int nrMaps = u32(info, 52);
            List<Integer> mapIds = nrMaps == 0 ? List.of() : mapIds(arena, fd, nrMaps, object);
            return new ProgramInfo(u32(info, 4), name(info, 64),
                    ProgramType.of(u32(info, 0)).orElse(ProgramType.UNSPEC),
                    HexFormat.of().formatHex(info.asSlice(8, 8).toArray(ValueLayout.JAVA_BYTE)), mapIds,
                    info.get(ValueLayout.JAVA_LONG, 40), u32(info, 48), u32(info, 20), u32(info, 16),
                    u32(info, 216), info.get(ValueLayout.JAVA_LONG, 192), info.get(ValueLayout.JAVA_LONG, 200));
        }
    }

    /** Second call asking only for map ids: {@code nr_map_ids} at 52, {@code map_ids} pointer at 56. */
    private static List<Integer> mapIds(Arena arena, Fd fd, int count, String object) {
        MemorySegment ids = arena.allocate(ValueLayout.JAVA_INT, count);
        MemorySegment info = arena.allocate(PROG_INFO_SIZE, 8);
        info.set(ValueLayout.JAVA_INT, 52, count);
        info.set(ValueLayout.JAVA_LONG, 56, ids.address());
        MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_INT, PROG_INFO_SIZE);
        Native.check(LibBpfSys.bpfObjGetInfoByFd(fd.get(), info, len), "bpf_obj_get_info_by_fd", object);
        int n = Math.min(count, u32(info, 52));
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(ids.getAtIndex(ValueLayout.JAVA_INT, i));
        }
        return out;
    }

    static LinkInfo link(Fd fd, String object) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = get(arena, fd, LINK_INFO_SIZE, object);
            int rawType = u32(info, 0);
            LinkInfo.Type type = LinkInfo.Type.of(rawType);
            int ifindex = switch (type) {
                case XDP, TCX -> u32(info, 16);
                default -> 0;
            };
            long cgroupId = type == LinkInfo.Type.CGROUP ? info.get(ValueLayout.JAVA_LONG, 16) : 0;
            Optional<AttachType> attach = switch (type) {
                case CGROUP -> AttachType.of(u32(info, 24));
                case TCX, NETNS, SOCKMAP -> AttachType.of(u32(info, 20));
                case XDP -> Optional.of(AttachType.XDP);
                default -> Optional.empty();
            };
            return new LinkInfo(u32(info, 4), type, rawType, u32(info, 8), ifindex, cgroupId, attach);
        }
    }

    private static MemorySegment get(Arena arena, Fd fd, int size, String object) {
        MemorySegment info = arena.allocate(size, 8);
        MemorySegment len = arena.allocateFrom(ValueLayout.JAVA_INT, size);
        Native.check(LibBpfSys.bpfObjGetInfoByFd(fd.get(), info, len), "bpf_obj_get_info_by_fd", object);
        return info;
    }

    private static int u32(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_INT, offset);
    }

    private static String name(MemorySegment s, long offset) {
        return s.asSlice(offset, NAME_LEN).getString(0);
    }
}
