package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Set;

/**
 * An XDP program attached to an interface through a {@code bpf_link} ({@code BPF_XDP}). Ownership as
 * for every {@link BpfLink}; the link holds the program. Interface names resolve in the calling
 * thread's network namespace.
 */
public final class XdpLink implements BpfLink {

    private static final long LINK_CREATE_OPTS_SIZE = 64;   // sizeof(struct bpf_link_create_opts), libbpf 1.1
    private static final Set<Errno> NO_NATIVE = Set.of(Errno.EOPNOTSUPP, Errno.ENOTSUPP, Errno.EINVAL);

    private final LinkHandle handle;
    private final int ifindex;
    private final XdpMode mode;

    private XdpLink(LinkHandle handle, int ifindex, XdpMode mode) {
        this.handle = handle;
        this.ifindex = ifindex;
        this.mode = mode;
    }

    /**
     * Attaches {@code program} to {@code ifname}.
     *
     * @throws BpfKernelException e.g. EOPNOTSUPP with a message saying the driver lacks native XDP,
     *                            EBUSY / EEXIST when another XDP program is attached, ENODEV for no such
     *                            interface
     */
    public static XdpLink attach(BpfProgram program, String ifname, XdpMode mode) {
        int ifindex = NetInterface.index(ifname);
        if (mode != XdpMode.AUTO) {
            return new XdpLink(create(program, ifname, ifindex, mode), ifindex, mode);
        }
        try {
            return new XdpLink(create(program, ifname, ifindex, XdpMode.NATIVE), ifindex, XdpMode.NATIVE);
        } catch (BpfKernelException e) {
            if (!NO_NATIVE.contains(e.errno())) {
                throw e;
            }
            return new XdpLink(create(program, ifname, ifindex, XdpMode.GENERIC), ifindex, XdpMode.GENERIC);
        }
    }

    static LinkHandle create(BpfProgram program, String ifname, int ifindex, XdpMode mode) {
        int rc = linkCreate(program.fd().get(), ifindex, mode);
        String object = program.name() + " on " + ifname + ", " + mode.name().toLowerCase();
        if (rc < 0 && mode == XdpMode.NATIVE && NO_NATIVE.contains(Errno.of(rc))) {
            throw new BpfKernelException("bpf_link_create(xdp)", object, rc, "the driver of " + ifname
                    + " does not support native XDP for this program; use XdpMode.GENERIC or AUTO");
        }
        return LinkHandle.create(rc, "bpf_link_create(xdp)", object);
    }

    static int linkCreate(int progFd, int ifindex, XdpMode mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = arena.allocate(LINK_CREATE_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, LINK_CREATE_OPTS_SIZE);
            opts.set(ValueLayout.JAVA_INT, 8, mode == XdpMode.NATIVE ? XdpMode.XDP_FLAGS_DRV_MODE : XdpMode.XDP_FLAGS_SKB_MODE);
            return LibBpfSys.bpfLinkCreate(progFd, ifindex, AttachType.XDP.code(), opts);
        }
    }

    static XdpLink adopt(LinkHandle handle, LinkInfo info) {
        XdpStatus status = BpfSystem.xdpQuery(info.ifindex());
        XdpMode mode = status.nativeProgramId() == info.programId() ? XdpMode.NATIVE : XdpMode.GENERIC;
        return new XdpLink(handle, info.ifindex(), mode);
    }

    /** The mode the program was attached in (never {@link XdpMode#AUTO}). */
    public XdpMode mode() {
        return mode;
    }

    /** The interface's index (in the namespace it was attached in). */
    public int ifindex() {
        return ifindex;
    }

    @Override
    public int id() {
        return handle.id();
    }

    @Override
    public LinkInfo info() {
        return handle.info();
    }

    @Override
    public void pin(Path path) {
        handle.pin(path);
    }

    @Override
    public void unpin() {
        handle.unpin();
    }

    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "XdpLink[id " + id() + ", ifindex " + ifindex + ", " + mode + "]";
    }
}
