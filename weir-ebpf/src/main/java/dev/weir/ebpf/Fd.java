package dev.weir.ebpf;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place a raw file descriptor lives. Owns it: {@link #close()} closes it once; {@link #get()}
 * after close throws {@link IllegalStateException} instead of handing out a number the process may
 * already have reused.
 */
final class Fd implements AutoCloseable {

    private final AtomicInteger fd;

    Fd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        this.fd = new AtomicInteger(fd);
    }

    /** Wraps a libbpf result: a descriptor, or a negative errno raised as {@link BpfKernelException}. */
    static Fd check(int rc, String operation, String object) {
        return new Fd(Native.check(rc, operation, object));
    }

    int get() {
        int v = fd.get();
        if (v < 0) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return v;
    }

    boolean isClosed() {
        return fd.get() < 0;
    }

    /** A new descriptor for the same kernel object, owned by the caller. */
    Fd dup() {
        return Fd.check(LibC.dupCloexec(get()), "fcntl(F_DUPFD_CLOEXEC)", "fd " + get());
    }

    @Override
    public void close() {
        int v = fd.getAndSet(-1);
        if (v >= 0) {
            LibC.close(v);
        }
    }

    @Override
    public String toString() {
        return "fd " + fd.get();
    }
}
