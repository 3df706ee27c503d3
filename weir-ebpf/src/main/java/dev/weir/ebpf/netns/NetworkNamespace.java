package dev.weir.ebpf.netns;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Linux network namespace that code can run inside.
 *
 * <p>Network namespace membership is per thread: {@link #call} starts a fresh platform thread, moves it
 * into the namespace with {@code setns(2)}, runs the task there and lets the thread die, so no other
 * thread of the JVM changes namespace. Sockets opened by the task stay in the namespace after it
 * returns, and may be used from any thread. The mount namespace is untouched, so {@code /sys/fs/bpf} of
 * the host stays visible (unlike {@code ip netns exec}).
 *
 * <p>Instances are immutable values naming a namespace file; they hold no descriptor.
 */
public final class NetworkNamespace {

    private static final Path NETNS_DIR = Path.of("/run/netns");
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;

    private final String name;
    private final Path file;

    private NetworkNamespace(String name, Path file) {
        this.name = name;
        this.file = file;
    }

    /**
     * The namespace {@code ip netns add NAME} created, at {@code /run/netns/NAME}.
     *
     * @throws IllegalArgumentException when no such namespace exists
     */
    public static NetworkNamespace named(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("invalid network namespace name '" + name + "'");
        }
        Path file = NETNS_DIR.resolve(name);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("network namespace '" + name + "' does not exist (no " + file + ")");
        }
        return new NetworkNamespace(name, file);
    }

    /**
     * The namespace of a file a runtime names by path ({@code /var/run/netns/cni-…}, {@code /proc/PID/ns/net}); its
     * {@link #name()} is the path.
     *
     * @throws IllegalArgumentException when the file does not exist
     */
    public static NetworkNamespace at(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("network namespace file " + file + " does not exist");
        }
        return new NetworkNamespace(file.toString(), file);
    }

    /** The namespace of this process's initial thread (the host's, for a process started on the host). */
    public static NetworkNamespace current() {
        return new NetworkNamespace("", Path.of("/proc/self/ns/net"));
    }

    /** True when a namespace of that name exists under /run/netns. */
    public static boolean exists(String name) {
        return !name.isEmpty() && !name.contains("/") && Files.exists(NETNS_DIR.resolve(name));
    }

    /** The namespace's name; empty for {@link #current()}. */
    public String name() {
        return name;
    }

    /** The namespace file. */
    public Path file() {
        return file;
    }

    /** True for {@link #current()}. */
    public boolean isCurrent() {
        return name.isEmpty();
    }

    /**
     * Runs the task on a new platform thread inside this namespace and returns its result.
     *
     * @throws NetnsException when the thread cannot enter the namespace
     * @throws Exception whatever the task throws
     */
    public <T> T call(Callable<T> task) throws Exception {
        if (isCurrent()) {
            return task.call();
        }
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).daemon().unstarted(() -> {
            try {
                enter(file);
                result.set(task.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        Throwable e = failure.get();
        if (e instanceof Exception ex) {
            throw ex;
        } else if (e instanceof Error err) {
            throw err;
        }
        return result.get();
    }

    /** Like {@link #call} for tasks without checked exceptions beyond I/O. */
    public <T> T callUnchecked(Callable<T> task) {
        try {
            return call(task);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new NetnsException("in network namespace '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * Moves the calling thread into the namespace of the file. Only for threads made for the purpose
     * (a platform thread that will not be reused): the move cannot be undone.
     */
    public static void enter(Path nsFile) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment path = arena.allocateFrom(nsFile.toString());
            int fd = (int) OPEN.invokeExact(state, path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw new NetnsException("open(" + nsFile + "): " + dev.weir.ebpf.Errno.describe(errno(state)));
            }
            try {
                int rc = (int) SETNS.invokeExact(state, fd, CLONE_NEWNET);
                if (rc != 0) {
                    throw new NetnsException("setns(" + nsFile + "): " + dev.weir.ebpf.Errno.describe(errno(state)));
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (NetnsException e) {
            throw e;
        } catch (Throwable e) {
            throw new NetnsException("setns(" + nsFile + ") failed: " + e, e);
        }
    }

    /** The namespace of the calling thread, as its inode in /proc/thread-self/ns/net. */
    public static String currentId() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    }

    @Override
    public String toString() {
        return isCurrent() ? "netns(current)" : "netns(" + name + ")";
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final MethodHandle OPEN = LINKER.downcallHandle(
            LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = LINKER.downcallHandle(
            LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), CAPTURE);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
}
