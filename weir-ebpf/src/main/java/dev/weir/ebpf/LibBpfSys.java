package dev.weir.ebpf;

import static dev.weir.ebpf.Native.I;
import static dev.weir.ebpf.Native.L;
import static dev.weir.ebpf.Native.P;
import static dev.weir.ebpf.Native.libbpf;
import static dev.weir.ebpf.Native.rethrow;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Downcalls into libbpf's thin syscall wrappers ({@code bpf/bpf.h}): map elements, pins, ids, info,
 * links, program attach and query, test runs. All return {@code -errno} on failure.
 */
final class LibBpfSys {

    private LibBpfSys() {
    }

    private static final MethodHandle MAP_LOOKUP_ELEM = libbpf("bpf_map_lookup_elem", FunctionDescriptor.of(I, I, P, P));
    private static final MethodHandle MAP_UPDATE_ELEM = libbpf("bpf_map_update_elem", FunctionDescriptor.of(I, I, P, P, L));
    private static final MethodHandle MAP_DELETE_ELEM = libbpf("bpf_map_delete_elem", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle MAP_GET_NEXT_KEY = libbpf("bpf_map_get_next_key", FunctionDescriptor.of(I, I, P, P));
    private static final MethodHandle MAP_LOOKUP_BATCH =
            libbpf("bpf_map_lookup_batch", FunctionDescriptor.of(I, I, P, P, P, P, P, P));
    private static final MethodHandle MAP_UPDATE_BATCH = libbpf("bpf_map_update_batch", FunctionDescriptor.of(I, I, P, P, P, P));
    private static final MethodHandle MAP_DELETE_BATCH = libbpf("bpf_map_delete_batch", FunctionDescriptor.of(I, I, P, P, P));
    private static final MethodHandle OBJ_PIN = libbpf("bpf_obj_pin", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle OBJ_GET = libbpf("bpf_obj_get", FunctionDescriptor.of(I, P));
    private static final MethodHandle OBJ_GET_INFO_BY_FD = libbpf("bpf_obj_get_info_by_fd", FunctionDescriptor.of(I, I, P, P));
    private static final MethodHandle PROG_GET_NEXT_ID = libbpf("bpf_prog_get_next_id", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle MAP_GET_NEXT_ID = libbpf("bpf_map_get_next_id", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle LINK_GET_NEXT_ID = libbpf("bpf_link_get_next_id", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle PROG_GET_FD_BY_ID = libbpf("bpf_prog_get_fd_by_id", FunctionDescriptor.of(I, I));
    private static final MethodHandle MAP_GET_FD_BY_ID = libbpf("bpf_map_get_fd_by_id", FunctionDescriptor.of(I, I));
    private static final MethodHandle LINK_GET_FD_BY_ID = libbpf("bpf_link_get_fd_by_id", FunctionDescriptor.of(I, I));
    private static final MethodHandle LINK_CREATE = libbpf("bpf_link_create", FunctionDescriptor.of(I, I, I, I, P));
    private static final MethodHandle LINK_DETACH = libbpf("bpf_link_detach", FunctionDescriptor.of(I, I));
    private static final MethodHandle PROG_ATTACH = libbpf("bpf_prog_attach", FunctionDescriptor.of(I, I, I, I, I));
    private static final MethodHandle PROG_DETACH2 = libbpf("bpf_prog_detach2", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle PROG_QUERY_OPTS = libbpf("bpf_prog_query_opts", FunctionDescriptor.of(I, I, I, P));
    private static final MethodHandle PROG_QUERY = libbpf("bpf_prog_query", FunctionDescriptor.of(I, I, I, I, P, P, P));
    private static final MethodHandle PROG_TEST_RUN_OPTS = libbpf("bpf_prog_test_run_opts", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle PROG_LOAD = libbpf("bpf_prog_load", FunctionDescriptor.of(I, I, P, P, P, L, P));

    static int bpfMapLookupElem(int fd, MemorySegment key, MemorySegment value) {
        try {
            return (int) MAP_LOOKUP_ELEM.invokeExact(fd, key, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapUpdateElem(int fd, MemorySegment key, MemorySegment value, long flags) {
        try {
            return (int) MAP_UPDATE_ELEM.invokeExact(fd, key, value, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapDeleteElem(int fd, MemorySegment key) {
        try {
            return (int) MAP_DELETE_ELEM.invokeExact(fd, key);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapGetNextKey(int fd, MemorySegment key, MemorySegment next) {
        try {
            return (int) MAP_GET_NEXT_KEY.invokeExact(fd, key, next);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapLookupBatch(int fd, MemorySegment in, MemorySegment out, MemorySegment keys,
                                 MemorySegment values, MemorySegment count, MemorySegment opts) {
        try {
            return (int) MAP_LOOKUP_BATCH.invokeExact(fd, in, out, keys, values, count, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapUpdateBatch(int fd, MemorySegment keys, MemorySegment values, MemorySegment count,
                                 MemorySegment opts) {
        try {
            return (int) MAP_UPDATE_BATCH.invokeExact(fd, keys, values, count, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfMapDeleteBatch(int fd, MemorySegment keys, MemorySegment count, MemorySegment opts) {
        try {
            return (int) MAP_DELETE_BATCH.invokeExact(fd, keys, count, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfObjPin(int fd, MemorySegment path) {
        try {
            return (int) OBJ_PIN.invokeExact(fd, path);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfObjGet(MemorySegment path) {
        return LibBpf.intOf(OBJ_GET, path);
    }

    static int bpfObjGetInfoByFd(int fd, MemorySegment info, MemorySegment len) {
        try {
            return (int) OBJ_GET_INFO_BY_FD.invokeExact(fd, info, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Next id of a program, map or link after {@code start}; {@code -ENOENT} at the end. */
    static int getNextId(IdKind kind, int start, MemorySegment next) {
        MethodHandle h = switch (kind) {
            case PROGRAM -> PROG_GET_NEXT_ID;
            case MAP -> MAP_GET_NEXT_ID;
            case LINK -> LINK_GET_NEXT_ID;
        };
        try {
            return (int) h.invokeExact(start, next);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getFdById(IdKind kind, int id) {
        MethodHandle h = switch (kind) {
            case PROGRAM -> PROG_GET_FD_BY_ID;
            case MAP -> MAP_GET_FD_BY_ID;
            case LINK -> LINK_GET_FD_BY_ID;
        };
        try {
            return (int) h.invokeExact(id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Kinds of kernel objects with ids. */
    enum IdKind { PROGRAM, MAP, LINK }

    static int bpfLinkCreate(int progFd, int targetFd, int attachType, MemorySegment opts) {
        try {
            return (int) LINK_CREATE.invokeExact(progFd, targetFd, attachType, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfLinkDetach(int linkFd) {
        try {
            return (int) LINK_DETACH.invokeExact(linkFd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgAttach(int progFd, int targetFd, int attachType, int flags) {
        try {
            return (int) PROG_ATTACH.invokeExact(progFd, targetFd, attachType, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgDetach2(int progFd, int targetFd, int attachType) {
        try {
            return (int) PROG_DETACH2.invokeExact(progFd, targetFd, attachType);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgQueryOpts(int targetFd, int attachType, MemorySegment opts) {
        try {
            return (int) PROG_QUERY_OPTS.invokeExact(targetFd, attachType, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgQuery(int targetFd, int attachType, int queryFlags, MemorySegment attachFlags,
                            MemorySegment progIds, MemorySegment progCnt) {
        try {
            return (int) PROG_QUERY.invokeExact(targetFd, attachType, queryFlags, attachFlags, progIds, progCnt);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgTestRunOpts(int progFd, MemorySegment opts) {
        try {
            return (int) PROG_TEST_RUN_OPTS.invokeExact(progFd, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int bpfProgLoad(int type, MemorySegment name, MemorySegment license, MemorySegment insns,
                           long insnCount, MemorySegment opts) {
        try {
            return (int) PROG_LOAD.invokeExact(type, name, license, insns, insnCount, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
