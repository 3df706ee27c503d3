package dev.weir.ebpf;

import static dev.weir.ebpf.Native.I;
import static dev.weir.ebpf.Native.P;
import static dev.weir.ebpf.Native.libbpf;
import static dev.weir.ebpf.Native.libbpfErrno;
import static dev.weir.ebpf.Native.rethrow;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Downcalls into libbpf's TC, XDP query, ring buffer and feature-probe APIs. */
final class LibBpfNet {

    private LibBpfNet() {
    }

    private static final MethodHandle TC_HOOK_CREATE = libbpf("bpf_tc_hook_create", FunctionDescriptor.of(I, P));
    private static final MethodHandle TC_HOOK_DESTROY = libbpf("bpf_tc_hook_destroy", FunctionDescriptor.of(I, P));
    private static final MethodHandle TC_ATTACH = libbpf("bpf_tc_attach", FunctionDescriptor.of(I, P, P));
    private static final MethodHandle TC_DETACH = libbpf("bpf_tc_detach", FunctionDescriptor.of(I, P, P));
    private static final MethodHandle TC_QUERY = libbpf("bpf_tc_query", FunctionDescriptor.of(I, P, P));
    private static final MethodHandle XDP_QUERY = libbpf("bpf_xdp_query", FunctionDescriptor.of(I, I, I, P));
    private static final MethodHandle RING_BUFFER_NEW = libbpfErrno("ring_buffer__new", FunctionDescriptor.of(P, I, P, P, P));
    private static final MethodHandle RING_BUFFER_POLL = libbpf("ring_buffer__poll", FunctionDescriptor.of(I, P, I));
    private static final MethodHandle RING_BUFFER_CONSUME = libbpf("ring_buffer__consume", FunctionDescriptor.of(I, P));
    private static final MethodHandle RING_BUFFER_FREE = libbpf("ring_buffer__free", FunctionDescriptor.ofVoid(P));
    private static final MethodHandle PROBE_PROG_TYPE = libbpf("libbpf_probe_bpf_prog_type", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle PROBE_MAP_TYPE = libbpf("libbpf_probe_bpf_map_type", FunctionDescriptor.of(I, I, P));
    private static final MethodHandle PROBE_HELPER = libbpf("libbpf_probe_bpf_helper", FunctionDescriptor.of(I, I, I, P));

    static int bpfTcHookCreate(MemorySegment hook) {
        return LibBpf.intOf(TC_HOOK_CREATE, hook);
    }

    static int bpfTcHookDestroy(MemorySegment hook) {
        return LibBpf.intOf(TC_HOOK_DESTROY, hook);
    }

    static int bpfTcAttach(MemorySegment hook, MemorySegment opts) {
        return LibBpf.intOf(TC_ATTACH, hook, opts);
    }

    static int bpfTcDetach(MemorySegment hook, MemorySegment opts) {
        return LibBpf.intOf(TC_DETACH, hook, opts);
    }

    static int bpfTcQuery(MemorySegment hook, MemorySegment opts) {
        return LibBpf.intOf(TC_QUERY, hook, opts);
    }

    static int bpfXdpQuery(int ifindex, int flags, MemorySegment opts) {
        try {
            return (int) XDP_QUERY.invokeExact(ifindex, flags, opts);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static MemorySegment ringBufferNew(MemorySegment capture, int mapFd, MemorySegment sampleFn, MemorySegment ctx) {
        try {
            return (MemorySegment) RING_BUFFER_NEW.invokeExact(capture, mapFd, sampleFn, ctx, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ringBufferPoll(MemorySegment rb, int timeoutMs) {
        try {
            return (int) RING_BUFFER_POLL.invokeExact(rb, timeoutMs);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ringBufferConsume(MemorySegment rb) {
        return LibBpf.intOf(RING_BUFFER_CONSUME, rb);
    }

    static void ringBufferFree(MemorySegment rb) {
        try {
            RING_BUFFER_FREE.invokeExact(rb);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int libbpfProbeBpfProgType(int type) {
        try {
            return (int) PROBE_PROG_TYPE.invokeExact(type, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int libbpfProbeBpfMapType(int type) {
        try {
            return (int) PROBE_MAP_TYPE.invokeExact(type, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int libbpfProbeBpfHelper(int progType, int helperId) {
        try {
            return (int) PROBE_HELPER.invokeExact(progType, helperId, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
