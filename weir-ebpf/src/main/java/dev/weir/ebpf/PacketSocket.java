package dev.weir.ebpf;

import static dev.weir.ebpf.Native.I;
import static dev.weir.ebpf.Native.L;
import static dev.weir.ebpf.Native.P;
import static dev.weir.ebpf.Native.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * An AF_PACKET socket on one interface, filtered in the kernel by a {@code BPF_PROG_TYPE_SOCKET_FILTER} program
 * (attached before the socket is bound, so that no unfiltered packet is queued): what tcpdump opens, with an eBPF
 * filter in place of a classic one. The program's return value is how many bytes of each packet to keep (0
 * drops it); {@link Frame#originalLength} is the length before that cut. Opened in the calling thread's network
 * namespace; used from one thread; {@link #close} releases it.
 */
public final class PacketSocket implements AutoCloseable {

    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL)
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_ATTACH_BPF = 50;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_AUXDATA = 8;
    private static final int PACKET_OUTGOING = 4;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final int MAX_FRAME = 65536;

    private static final MethodHandle SOCKET = Native.libcErrno("socket", FunctionDescriptor.of(I, I, I, I));
    private static final MethodHandle BIND = Native.libcErrno("bind", FunctionDescriptor.of(I, I, P, I));
    private static final MethodHandle SETSOCKOPT = Native.libcErrno("setsockopt", FunctionDescriptor.of(I, I, I, I, P, I));
    private static final MethodHandle RECVMSG = Native.libcErrno("recvmsg", FunctionDescriptor.of(L, I, P, I));

    /** One packet: its first bytes, its length on the wire, when it was read, and whether this host sent it. */
    public record Frame(byte[] data, int originalLength, Instant time, boolean outgoing) {
    }

    private final Fd fd;
    private final String iface;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(MAX_FRAME);
    private final MemorySegment address = arena.allocate(20);
    private final MemorySegment control = arena.allocate(64, 8);
    private final MemorySegment iov = arena.allocate(16, 8);
    private final MemorySegment msg = arena.allocate(56, 8);

    private PacketSocket(Fd fd, String iface) {
        this.fd = fd;
        this.iface = iface;
    }

    /**
     * Opens a socket on {@code iface} (of the calling thread's namespace) with {@code filter} attached and reads
     * time out after {@code timeout}.
     *
     * @throws BpfKernelException naming the failed call and its errno (EPERM without CAP_NET_RAW, ENODEV, ...)
     */
    public static PacketSocket open(String iface, BpfProgram filter, Duration timeout) {
        int ifindex = NetInterface.index(iface);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(a);
            int raw = (int) SOCKET.invokeExact(capture, AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
            if (raw < 0) {
                throw new BpfKernelException("socket(AF_PACKET)", iface, Native.errno(capture));
            }
            PacketSocket s = new PacketSocket(new Fd(raw), iface);
            try {
                s.setsockopt(SOL_SOCKET, SO_ATTACH_BPF, a.allocateFrom(I, filter.fd().get()), "SO_ATTACH_BPF");
                s.setsockopt(SOL_PACKET, PACKET_AUXDATA, a.allocateFrom(I, 1), "PACKET_AUXDATA");
                MemorySegment tv = a.allocate(16, 8);
                tv.set(L, 0, timeout.toSeconds());
                tv.set(L, 8, timeout.toNanosPart() / 1000);
                s.setsockopt(SOL_SOCKET, SO_RCVTIMEO, tv, "SO_RCVTIMEO");
                MemorySegment ll = a.allocate(20, 4);
                ll.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
                ll.set(ValueLayout.JAVA_SHORT, 2, (short) ETH_P_ALL_BE);
                ll.set(I, 4, ifindex);
                int rc = (int) BIND.invokeExact(capture, raw, ll, 20);
                if (rc < 0) {
                    throw new BpfKernelException("bind(AF_PACKET)", iface, Native.errno(capture));
                }
                return s;
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void setsockopt(int level, int name, MemorySegment value, String what) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(a);
            int rc = (int) SETSOCKOPT.invokeExact(capture, fd.get(), level, name, value, (int) value.byteSize());
            if (rc < 0) {
                throw new BpfKernelException("setsockopt(" + what + ")", iface, Native.errno(capture));
            }
        }
    }

    /**
     * The next packet the filter kept, or empty when none came before the timeout.
     *
     * @throws BpfKernelException when the read fails
     */
    public Optional<Frame> receive() {
        iov.set(P, 0, buffer);
        iov.set(L, 8, MAX_FRAME);
        msg.fill((byte) 0);
        msg.set(P, 0, address);
        msg.set(I, 8, 20);
        msg.set(P, 16, iov);
        msg.set(L, 24, 1);
        msg.set(P, 32, control);
        msg.set(L, 40, control.byteSize());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = Native.allocateCapture(a);
            long n = (long) RECVMSG.invokeExact(capture, fd.get(), msg, 0);
            if (n < 0) {
                int errno = Native.errno(capture);
                if (errno == EAGAIN || errno == EINTR) {
                    return Optional.empty();
                }
                throw new BpfKernelException("recvmsg(AF_PACKET)", iface, errno);
            }
            byte[] data = buffer.asSlice(0, Math.min(n, MAX_FRAME)).toArray(ValueLayout.JAVA_BYTE);
            boolean outgoing = (address.get(ValueLayout.JAVA_BYTE, 10) & 0xff) == PACKET_OUTGOING;
            return Optional.of(new Frame(data, originalLength(data.length), Instant.now(), outgoing));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code tpacket_auxdata.tp_len} from the control messages, else the bytes read. */
    private int originalLength(int read) {
        long len = msg.get(L, 40);
        for (long off = 0; off + 16 <= len; ) {
            long cmsgLen = control.get(L, off);
            int level = control.get(I, off + 8);
            int type = control.get(I, off + 12);
            if (cmsgLen < 16) {
                break;
            }
            if (level == SOL_PACKET && type == PACKET_AUXDATA && cmsgLen >= 16 + 8) {
                return control.get(I, off + 16 + 4);
            }
            off += (cmsgLen + 7) & ~7L;
        }
        return read;
    }

    @Override
    public void close() {
        try {
            fd.close();
        } finally {
            arena.close();
        }
    }

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("PacketSocket assumes a little-endian host (htons constants)");
        }
    }
}
