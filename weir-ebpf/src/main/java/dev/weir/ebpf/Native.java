package dev.weir.ebpf;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** FFM plumbing shared by the bindings: the linker, symbol lookups, errno capture, C strings. */
final class Native {

    static final Linker LINKER = Linker.nativeLinker();
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    static final AddressLayout P = ValueLayout.ADDRESS;

    static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");

    private static final SymbolLookup LIBBPF = SymbolLookup.libraryLookup("libbpf.so.1", Arena.global());
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    static {
        LibBpfLog.install(libbpf("libbpf_set_print", FunctionDescriptor.of(P, P)));
    }

    private Native() {
    }

    static MethodHandle libbpf(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBBPF.findOrThrow(name), fd);
    }

    /** A libbpf function whose errno is captured: the handle takes the capture segment first. */
    static MethodHandle libbpfErrno(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBBPF.findOrThrow(name), fd, CAPTURE);
    }

    static MethodHandle libc(String name, FunctionDescriptor fd, Linker.Option... options) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), fd, options);
    }

    static MethodHandle libcErrno(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), fd, CAPTURE);
    }

    static MemorySegment allocateCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** The C string at {@code p}; empty for NULL. */
    static String string(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Throws {@link BpfKernelException} when a libbpf call returned a negative errno. */
    static int check(int rc, String operation, String object) {
        if (rc < 0) {
            throw new BpfKernelException(operation, object, rc);
        }
        return rc;
    }

    /** Wraps what {@code invokeExact} declares; FFM downcalls do not throw checked exceptions. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
