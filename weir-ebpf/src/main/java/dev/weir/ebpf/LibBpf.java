package dev.weir.ebpf;

import static dev.weir.ebpf.Native.I;
import static dev.weir.ebpf.Native.L;
import static dev.weir.ebpf.Native.P;
import static dev.weir.ebpf.Native.libbpf;
import static dev.weir.ebpf.Native.libbpfErrno;
import static dev.weir.ebpf.Native.rethrow;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Downcalls into libbpf 1.1. One static method per C function, same name in camel case, same
 * arguments; libbpf 1.x returns {@code -errno} from int functions, and pointer functions that can fail
 * take an errno capture segment first. Callers check results (see {@link Native#check}).
 */
final class LibBpf {

    private LibBpf() {
    }

    private static FunctionDescriptor fn(java.lang.foreign.MemoryLayout ret, java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.of(ret, args);
    }

    private static FunctionDescriptor proc(java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.ofVoid(args);
    }

    // ---- bpf_object ----
    private static final MethodHandle OBJECT_OPEN_MEM = libbpfErrno("bpf_object__open_mem", fn(P, P, L, P));
    private static final MethodHandle OBJECT_OPEN_FILE = libbpfErrno("bpf_object__open_file", fn(P, P, P));
    private static final MethodHandle OBJECT_NEXT_PROGRAM = libbpf("bpf_object__next_program", fn(P, P, P));
    private static final MethodHandle OBJECT_NEXT_MAP = libbpf("bpf_object__next_map", fn(P, P, P));
    private static final MethodHandle OBJECT_LOAD = libbpf("bpf_object__load", fn(I, P));
    private static final MethodHandle OBJECT_CLOSE = libbpf("bpf_object__close", proc(P));
    private static final MethodHandle OBJECT_BTF = libbpf("bpf_object__btf", fn(P, P));

    static MemorySegment bpfObjectOpenMem(MemorySegment capture, MemorySegment buf, long size, MemorySegment opts) {
        try {
            return (MemorySegment) OBJECT_OPEN_MEM.invokeExact(capture, buf, size, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment bpfObjectOpenFile(MemorySegment capture, MemorySegment path, MemorySegment opts) {
        try {
            return (MemorySegment) OBJECT_OPEN_FILE.invokeExact(capture, path, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment bpfObjectNextProgram(MemorySegment obj, MemorySegment prev) {
        return ptr(OBJECT_NEXT_PROGRAM, obj, prev);
    }

    static MemorySegment bpfObjectNextMap(MemorySegment obj, MemorySegment prev) {
        return ptr(OBJECT_NEXT_MAP, obj, prev);
    }

    static int bpfObjectLoad(MemorySegment obj) {
        return intOf(OBJECT_LOAD, obj);
    }

    static void bpfObjectClose(MemorySegment obj) {
        try {
            OBJECT_CLOSE.invokeExact(obj);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment bpfObjectBtf(MemorySegment obj) {
        return ptr(OBJECT_BTF, obj);
    }

    // ---- bpf_program ----
    private static final MethodHandle PROGRAM_NAME = libbpf("bpf_program__name", fn(P, P));
    private static final MethodHandle PROGRAM_SECTION_NAME = libbpf("bpf_program__section_name", fn(P, P));
    private static final MethodHandle PROGRAM_TYPE = libbpf("bpf_program__type", fn(I, P));
    private static final MethodHandle PROGRAM_FD = libbpf("bpf_program__fd", fn(I, P));
    private static final MethodHandle PROGRAM_SET_LOG_BUF = libbpf("bpf_program__set_log_buf", fn(I, P, P, L));
    private static final MethodHandle PROGRAM_SET_LOG_LEVEL = libbpf("bpf_program__set_log_level", fn(I, P, I));

    static String bpfProgramName(MemorySegment prog) {
        return Native.string(ptr(PROGRAM_NAME, prog));
    }

    static String bpfProgramSectionName(MemorySegment prog) {
        return Native.string(ptr(PROGRAM_SECTION_NAME, prog));
    }

    static int bpfProgramType(MemorySegment prog) {
        return intOf(PROGRAM_TYPE, prog);
    }

    static int bpfProgramFd(MemorySegment prog) {
        return intOf(PROGRAM_FD, prog);
    }

    static int bpfProgramSetLogBuf(MemorySegment prog, MemorySegment buf) {
        try {
            return (int) PROGRAM_SET_LOG_BUF.invokeExact(prog, buf, buf.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgramSetLogLevel(MemorySegment prog, int level) {
        try {
            return (int) PROGRAM_SET_LOG_LEVEL.invokeExact(prog, level);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- bpf_map ----
    private static final MethodHandle MAP_NAME = libbpf("bpf_map__name", fn(P, P));
    private static final MethodHandle MAP_TYPE = libbpf("bpf_map__type", fn(I, P));
    private static final MethodHandle MAP_KEY_SIZE = libbpf("bpf_map__key_size", fn(I, P));
    private static final MethodHandle MAP_VALUE_SIZE = libbpf("bpf_map__value_size", fn(I, P));
    private static final MethodHandle MAP_MAX_ENTRIES = libbpf("bpf_map__max_entries", fn(I, P));
    private static final MethodHandle MAP_SET_MAX_ENTRIES = libbpf("bpf_map__set_max_entries", fn(I, P, I));
    private static final MethodHandle MAP_FLAGS = libbpf("bpf_map__map_flags", fn(I, P));
    private static final MethodHandle MAP_SET_PIN_PATH = libbpf("bpf_map__set_pin_path", fn(I, P, P));
    private static final MethodHandle MAP_REUSE_FD = libbpf("bpf_map__reuse_fd", fn(I, P, I));
    private static final MethodHandle MAP_FD = libbpf("bpf_map__fd", fn(I, P));
    private static final MethodHandle MAP_INITIAL_VALUE = libbpf("bpf_map__initial_value", fn(P, P, P));
    private static final MethodHandle MAP_IS_INTERNAL =
            libbpf("bpf_map__is_internal", fn(ValueLayout.JAVA_BOOLEAN, P));

    static String bpfMapName(MemorySegment map) {
        return Native.string(ptr(MAP_NAME, map));
    }

    static int bpfMapType(MemorySegment map) {
        return intOf(MAP_TYPE, map);
    }

    static int bpfMapKeySize(MemorySegment map) {
        return intOf(MAP_KEY_SIZE, map);
    }

    static int bpfMapValueSize(MemorySegment map) {
        return intOf(MAP_VALUE_SIZE, map);
    }

    static int bpfMapMaxEntries(MemorySegment map) {
        return intOf(MAP_MAX_ENTRIES, map);
    }

    static int bpfMapSetMaxEntries(MemorySegment map, int maxEntries) {
        try {
            return (int) MAP_SET_MAX_ENTRIES.invokeExact(map, maxEntries);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapFlags(MemorySegment map) {
        return intOf(MAP_FLAGS, map);
    }

    static int bpfMapSetPinPath(MemorySegment map, MemorySegment path) {
        return intOf(MAP_SET_PIN_PATH, map, path);
    }

    static int bpfMapReuseFd(MemorySegment map, int fd) {
        try {
            return (int) MAP_REUSE_FD.invokeExact(map, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapFd(MemorySegment map) {
        return intOf(MAP_FD, map);
    }

    /** The map's initial data (writable before load), {@code size} receiving its length. */
    static MemorySegment bpfMapInitialValue(MemorySegment map, MemorySegment size) {
        return ptr(MAP_INITIAL_VALUE, map, size);
    }

    static boolean bpfMapIsInternal(MemorySegment map) {
        try {
            return (boolean) MAP_IS_INTERNAL.invokeExact(map);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- btf ----
    private static final MethodHandle BTF_FIND_BY_NAME_KIND = libbpf("btf__find_by_name_kind", fn(I, P, P, I));
    private static final MethodHandle BTF_TYPE_CNT = libbpf("btf__type_cnt", fn(I, P));
    private static final MethodHandle BTF_TYPE_BY_ID = libbpf("btf__type_by_id", fn(P, P, I));
    private static final MethodHandle BTF_NAME_BY_OFFSET = libbpf("btf__name_by_offset", fn(P, P, I));
    private static final MethodHandle BTF_RESOLVE_SIZE = libbpf("btf__resolve_size", fn(L, P, I));

    static int btfFindByNameKind(MemorySegment btf, MemorySegment name, int kind) {
        try {
            return (int) BTF_FIND_BY_NAME_KIND.invokeExact(btf, name, kind);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int btfTypeCnt(MemorySegment btf) {
        return intOf(BTF_TYPE_CNT, btf);
    }

    static MemorySegment btfTypeById(MemorySegment btf, int id) {
        try {
            return (MemorySegment) BTF_TYPE_BY_ID.invokeExact(btf, id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static String btfNameByOffset(MemorySegment btf, int offset) {
        try {
            return Native.string((MemorySegment) BTF_NAME_BY_OFFSET.invokeExact(btf, offset));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long btfResolveSize(MemorySegment btf, int typeId) {
        try {
            return (long) BTF_RESOLVE_SIZE.invokeExact(btf, typeId);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- misc ----
    private static final MethodHandle NUM_POSSIBLE_CPUS = libbpf("libbpf_num_possible_cpus", fn(I));

    static int libbpfNumPossibleCpus() {
        try {
            return (int) NUM_POSSIBLE_CPUS.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- helpers for the common shapes ----
    static int intOf(MethodHandle h, MemorySegment a) {
        try {
            return (int) h.invokeExact(a);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int intOf(MethodHandle h, MemorySegment a, MemorySegment b) {
        try {
            return (int) h.invokeExact(a, b);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment ptr(MethodHandle h, MemorySegment a) {
        try {
            return (MemorySegment) h.invokeExact(a);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment ptr(MethodHandle h, MemorySegment a, MemorySegment b) {
        try {
            return (MemorySegment) h.invokeExact(a, b);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
