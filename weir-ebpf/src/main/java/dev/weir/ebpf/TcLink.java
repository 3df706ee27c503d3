package dev.weir.ebpf;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A TC program ({@code SCHED_CLS}) on an interface's ingress or egress: a tcx {@code bpf_link} when
 * the kernel has tcx, else a direct-action filter on the {@code clsact} qdisc. {@link #kind()} tells
 * which. Ownership as for every {@link BpfLink}; a clsact filter cannot be pinned and is detached on
 * close (the qdisc stays). Interface names resolve in the calling thread's network namespace.
 */
public final class TcLink implements BpfLink {

    /** How the program is attached. */
    public enum Kind { TCX, CLSACT }

    private final LinkHandle handle;       // tcx
    private final ClsactFilter filter;     // clsact
    private final TcDirection direction;

    private TcLink(LinkHandle handle, ClsactFilter filter, TcDirection direction) {
        this.handle = handle;
        this.filter = filter;
        this.direction = direction;
    }

    /**
     * Attaches {@code program} to {@code ifname}: tcx when {@link Features#tcx()} says so, else clsact.
     *
     * @throws BpfKernelException ENODEV for no such interface, EINVAL for a program of another type
     */
    public static TcLink attach(BpfProgram program, String ifname, TcDirection direction) {
        return attach(program, ifname, direction, Features.tcx().isSupported() ? Kind.TCX : Kind.CLSACT);
    }

    /** Attaches the way {@code kind} says, without probing. */
    public static TcLink attach(BpfProgram program, String ifname, TcDirection direction, Kind kind) {
        int ifindex = NetInterface.index(ifname);
        if (kind == Kind.CLSACT) {
            return new TcLink(null, ClsactFilter.attach(program, ifname, ifindex, direction), direction);
        }
        int rc = LibBpfSys.bpfLinkCreate(program.fd().get(), ifindex, direction.tcxAttachType().code(), MemorySegment.NULL);
        return new TcLink(LinkHandle.create(rc, "bpf_link_create(" + direction.tcxAttachType() + ")",
                program.name() + " on " + ifname), null, direction);
    }

    static TcLink adopt(LinkHandle handle, LinkInfo info) {
        TcDirection dir = info.attachType().filter(t -> t == AttachType.TCX_EGRESS).isPresent()
                ? TcDirection.EGRESS : TcDirection.INGRESS;
        return new TcLink(handle, null, dir);
    }

    public Kind kind() {
        return handle != null ? Kind.TCX : Kind.CLSACT;
    }

    public TcDirection direction() {
        return direction;
    }

    @Override
    public int id() {
        return handle != null ? handle.id() : 0;
    }

    @Override
    public LinkInfo info() {
        if (handle == null) {
            throw new UnsupportedOperationException("a clsact filter is not a kernel link");
        }
        return handle.info();
    }

    @Override
    public void pin(Path path) {
        if (handle == null) {
            throw new UnsupportedOperationException("a clsact filter is not a kernel link and cannot be pinned");
        }
        handle.pin(path);
    }

    @Override
    public void unpin() {
        if (handle != null) {
            handle.unpin();
        }
    }

    @Override
    public void close() {
        if (handle != null) {
            handle.close();
        } else {
            filter.detach();
        }
    }

    @Override
    public String toString() {
        return "TcLink[" + kind() + ", " + direction + (handle != null ? ", id " + id() : "") + "]";
    }
}
