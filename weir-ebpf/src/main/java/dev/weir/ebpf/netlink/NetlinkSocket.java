package dev.weir.ebpf.netlink;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.weir.ebpf.BpfKernelException;

/**
 * An {@code AF_NETLINK} socket of a netlink family, in the network namespace of the thread that opened it (for
 * good: it may then be used from any thread, one at a time). Asks for capped ACKs with the kernel's extended
 * messages; reads time out after 10 s. {@link #close} releases it.
 */
final class NetlinkSocket implements AutoCloseable {

    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SOL_NETLINK = 270;
    private static final int NETLINK_CAP_ACK = 10;
    private static final int NETLINK_EXT_ACK = 11;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int RECEIVE_BUFFER = 64 * 1024;
    private static final long TIMEOUT_SECONDS = 10;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final MethodHandle SOCKET = libc("socket", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle SETSOCKOPT = libc("setsockopt", FunctionDescriptor.of(I, I, I, I, ValueLayout.ADDRESS, I));
    private static final MethodHandle SEND = libc("send", FunctionDescriptor.of(L, I, ValueLayout.ADDRESS, L, I));
    private static final MethodHandle RECV = libc("recv", FunctionDescriptor.of(L, I, ValueLayout.ADDRESS, L, I));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("open"),
            FunctionDescriptor.of(I, ValueLayout.ADDRESS, I), CAPTURE, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("close"),
            FunctionDescriptor.of(I, I));

    private final int fd;
    private final String where;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(RECEIVE_BUFFER, 8);
    private final MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
    private int seq = (int) (System.nanoTime() & 0x3fffffff);
    private boolean closed;

    private NetlinkSocket(int fd, String where) {
        this.fd = fd;
        this.where = where;
    }

    /**
     * Opens a socket of {@code protocol} ({@code NETLINK_ROUTE} is 0) in the calling thread's namespace.
     *
     * @param where the namespace, for messages
     * @throws BpfKernelException when the kernel refuses
     */
    static NetlinkSocket open(int protocol, String where) {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE_LAYOUT);
            fd = (int) SOCKET.invokeExact(c, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                throw new BpfKernelException("socket(AF_NETLINK)", where, errno(c));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("socket(AF_NETLINK) failed", t);
        }
        NetlinkSocket s = new NetlinkSocket(fd, where);
        try {
            try (Arena a = Arena.ofConfined()) {
                s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, a.allocateFrom(I, 1), "NETLINK_CAP_ACK");
                s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, a.allocateFrom(I, 1), "NETLINK_EXT_ACK");
                MemorySegment timeval = a.allocate(16, 8);
                timeval.set(L, 0, TIMEOUT_SECONDS);
                s.setsockopt(SOL_SOCKET, SO_RCVTIMEO, timeval, "SO_RCVTIMEO");
            }
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The namespace this socket acts in, as given to {@link #open}. */
    String where() {
        return where;
    }

    private void setsockopt(int level, int name, MemorySegment value, String what) {
        try {
            int rc = (int) SETSOCKOPT.invokeExact(capture, fd, level, name, value, (int) value.byteSize());
            if (rc < 0) {
                throw new BpfKernelException("setsockopt(" + what + ")", "netlink socket in " + where, errno(capture));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("setsockopt failed", t);
        }
    }

    /**
     * Sends the request and returns the replies to it (by sequence number) up to its ACK, error or {@code NLMSG_DONE},
     * that one included; a reply to a request without ACK or dump ends at its first message.
     */
    synchronized List<NetlinkReply> exchange(NetlinkMessage request, String operation, String object) {
        int mine = ++seq;
        send(request.encode(mine), operation, object);
        boolean multi = (request.flags() & RtMessages.NLM_F_DUMP) == RtMessages.NLM_F_DUMP;
        boolean acked = (request.flags() & RtMessages.NLM_F_ACK) != 0;
        List<NetlinkReply> replies = new ArrayList<>();
        while (true) {
            for (NetlinkReply r : receive(operation, object)) {
                if (r.seq() != mine) {
                    continue; // a late answer to an earlier request that timed out
                }
                replies.add(r);
                if (r.isError() || r.isDone() || !multi && !acked) {
                    return replies;
                }
            }
        }
    }

    private void send(byte[] message, String operation, String object) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocateFrom(ValueLayout.JAVA_BYTE, message);
            while (true) {
                long n = (long) SEND.invokeExact(capture, fd, m, (long) message.length, 0);
                if (n >= 0) {
                    return;
                }
                if (errno(capture) != EINTR) {
                    throw new BpfKernelException(operation, object, errno(capture), "sending to netlink");
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("send failed", t);
        }
    }

    private List<NetlinkReply> receive(String operation, String object) {
        try {
            while (true) {
                long n = (long) RECV.invokeExact(capture, fd, buffer, (long) RECEIVE_BUFFER, 0);
                if (n >= 0) {
                    ByteBuffer data = buffer.asSlice(0, n).asByteBuffer().order(ByteOrder.nativeOrder());
                    ByteBuffer copy = ByteBuffer.allocate((int) n).order(ByteOrder.nativeOrder()).put(data).flip();
                    return NetlinkReply.parse(copy);
                }
                int errno = errno(capture);
                if (errno != EINTR) {
                    throw new BpfKernelException(operation, object, errno, errno == EAGAIN
                            ? "no answer from netlink within " + TIMEOUT_SECONDS + " s" : "reading from netlink");
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("recv failed", t);
        }
    }

    /**
     * A read-only descriptor of a namespace file, for {@code IFLA_NET_NS_FD}; the caller closes it with
     * {@link #closeFd}.
     */
    static int openNamespace(Path file) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(CAPTURE_LAYOUT);
            int nsFd = (int) OPEN.invokeExact(c, a.allocateFrom(file.toString()), O_RDONLY | O_CLOEXEC);
            if (nsFd < 0) {
                throw new BpfKernelException("open", "network namespace " + file, errno(c));
            }
            return nsFd;
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open failed", t);
        }
    }

    static void closeFd(int descriptor) {
        try {
            int ignored = (int) CLOSE.invokeExact(descriptor);
        } catch (Throwable t) {
            throw new IllegalStateException("close failed", t);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeFd(fd);
            arena.close();
        }
    }

    private static int errno(MemorySegment c) {
        return (int) ERRNO.get(c, 0L);
    }

    private static MethodHandle libc(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), d, CAPTURE);
    }
}
