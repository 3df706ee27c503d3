package dev.weir.ebpf;

import java.nio.file.Path;

/**
 * A program attached to a hook. Owns the attachment: {@link #close()} detaches it, unless the link is
 * pinned (then the pin keeps it attached until {@link #unpin()} and the last close). Kernel failures
 * raise {@link BpfKernelException}.
 */
public sealed interface BpfLink extends AutoCloseable permits XdpLink, TcLink, CgroupLink, SockmapLink {

    /** The kernel's link id (0 for a clsact filter, which is not a kernel link). */
    int id();

    /** A fresh {@code bpf_link_info} from the kernel. */
    LinkInfo info();

    /**
     * Pins the link at {@code path} on a bpffs so that it outlives this process.
     *
     * @throws BpfKernelException EEXIST when the path is taken
     * @throws UnsupportedOperationException for a clsact filter (no kernel link to pin)
     */
    void pin(Path path);

    /** Removes the pin this link was pinned at or opened from; nothing when it has none. */
    void unpin();

    /** Releases the link: detaches the program unless the link is pinned; idempotent. */
    @Override
    void close();

    /**
     * Opens a pinned link (XDP, tcx, cgroup or sockmap); the caller owns the result, and {@link #unpin()} removes
     * that pin.
     *
     * @throws BpfKernelException       {@code bpf_obj_get} failures
     * @throws IllegalArgumentException for other link types
     */
    static BpfLink fromPin(Path pin) {
        Fd fd = Pins.open(pin);
        try {
            LinkInfo info = Infos.link(fd, pin.toString());
            LinkHandle handle = new LinkHandle(fd, info.id(), pin);
            return switch (info.type()) {
                case XDP -> XdpLink.adopt(handle, info);
                case TCX -> TcLink.adopt(handle, info);
                case CGROUP -> CgroupLink.adopt(handle, info);
                case SOCKMAP -> SockmapLink.adopt(handle, info);
                default -> throw new IllegalArgumentException("link pinned at " + pin + " is a " + info.type()
                        + " link; only XDP, TCX and CGROUP links are supported");
            };
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }
}
