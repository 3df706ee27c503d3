package dev.weir.ebpf;

import static dev.weir.ebpf.Native.I;
import static dev.weir.ebpf.Native.L;
import static dev.weir.ebpf.Native.P;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Routes libbpf's print callback to the {@link System.Logger} {@code dev.weir.ebpf.libbpf}. libbpf passes
 * a {@code va_list}; on x86-64 that is a pointer, handed straight to libc {@code vsnprintf}.
 * Installed once, when {@link Native} initialises.
 */
final class LibBpfLog {

    static final String LOGGER_NAME = "dev.weir.ebpf.libbpf";
    private static final System.Logger LOG = System.getLogger(LOGGER_NAME);
    private static final int BUFFER = 2048;
    /** Set while this thread makes a call whose failure is an expected answer: libbpf's messages are dropped. */
    private static final ThreadLocal<Boolean> QUIET = ThreadLocal.withInitial(() -> false);
    private static final MethodHandle VSNPRINTF =
            Native.libc("vsnprintf", FunctionDescriptor.of(I, P, L, P, P));

    private LibBpfLog() {
    }

    static void install(MethodHandle setPrint) {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(LibBpfLog.class, "print",
                    MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = Native.LINKER.upcallStub(target, FunctionDescriptor.of(I, I, P, P), Arena.global());
            MemorySegment previous = (MemorySegment) setPrint.invokeExact(stub);
        } catch (Throwable t) {
            LOG.log(Level.WARNING, "could not route libbpf's log: " + t);
        }
    }

    /**
     * Runs {@code work} with libbpf's messages on this thread dropped: for calls whose failure is an answer the
     * caller expects and handles (a query of a TC slot on an interface without a clsact qdisc), so the kernel's
     * extack text does not reach the log as a warning. Errors still reach the caller as return codes.
     */
    static <T> T quietly(java.util.function.Supplier<T> work) {
        boolean was = QUIET.get();
        QUIET.set(true);
        try {
            return work.get();
        } finally {
            QUIET.set(was);
        }
    }

    /** The upcall: must never throw into native code. */
    private static int print(int level, MemorySegment format, MemorySegment vaList) {
        if (QUIET.get()) {
            return 0;
        }
        Level l = switch (level) {
            case 0 -> Level.WARNING;
            case 1 -> Level.INFO;
            default -> Level.DEBUG;
        };
        if (!LOG.isLoggable(l)) {
            return 0;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(BUFFER);
            int n = (int) VSNPRINTF.invokeExact(buf, (long) BUFFER, format, vaList);
            if (n > 0) {
                LOG.log(l, buf.getString(0).stripTrailing());
            }
        } catch (Throwable t) {
            return 0;
        }
        return 0;
    }
}
