package dev.weir.ebpf;

import static dev.weir.ebpf.Native.I;
import static dev.weir.ebpf.Native.P;
import static dev.weir.ebpf.Native.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** The few libc calls the library needs: descriptors and interface names. Failures return {@code -errno}. */
final class LibC {

    static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int IF_NAMESIZE = 16;

    private static final MethodHandle OPEN = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().findOrThrow("open"), FunctionDescriptor.of(I, P, I),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = Native.libc("close", FunctionDescriptor.of(I, I));
    private static final MethodHandle FCNTL = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().findOrThrow("fcntl"), FunctionDescriptor.of(I, I, I, I),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IF_NAMETOINDEX = Native.libcErrno("if_nametoindex", FunctionDescriptor.of(I, P));
    private static final MethodHandle IF_INDEXTONAME = Native.libcErrno("if_indextoname", FunctionDescriptor.of(P, I, P));

    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final MethodHandle SOCKET = Native.libcErrno("socket", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle IOCTL = Native.LINKER.downcallHandle(
            Native.LINKER.defaultLookup().findOrThrow("ioctl"), FunctionDescriptor.of(I, I, Native.L, P),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));

    private LibC() {
    }

    /**
     * {@code ioctl(fd, request, ifreq)} on a datagram socket of the calling thread's network namespace, with
     * {@code ifreq} (40 bytes: the name, then the request's union) as the caller filled it; 0 or {@code -errno}.
     */
    static int interfaceIoctl(long request, MemorySegment ifreq) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            int fd = (int) SOCKET.invokeExact(capture, AF_INET, SOCK_DGRAM | O_CLOEXEC, 0);
            if (fd < 0) {
                return -Native.errno(capture);
            }
            try {
                int rc = (int) IOCTL.invokeExact(capture, fd, request, ifreq);
                return rc < 0 ? -Native.errno(capture) : 0;
            } finally {
                close(fd);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(path), flags);
            return fd < 0 ? -Native.errno(capture) : fd;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int dupCloexec(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            int dup = (int) FCNTL.invokeExact(capture, fd, F_DUPFD_CLOEXEC, 0);
            return dup < 0 ? -Native.errno(capture) : dup;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ifNameToIndex(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            int index = (int) IF_NAMETOINDEX.invokeExact(capture, arena.allocateFrom(name));
            return index == 0 ? -Native.errno(capture) : index;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The name, or null with the errno in {@code errno[0]}. */
    static String ifIndexToName(int index, int[] errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(arena);
            MemorySegment buf = arena.allocate(IF_NAMESIZE);
            MemorySegment r = (MemorySegment) IF_INDEXTONAME.invokeExact(capture, index, buf);
            if (r.equals(MemorySegment.NULL)) {
                errno[0] = Native.errno(capture);
                return null;
            }
            return buf.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
