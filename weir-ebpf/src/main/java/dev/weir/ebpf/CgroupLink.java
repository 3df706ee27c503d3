package dev.weir.ebpf;

import java.nio.file.Path;

/**
 * A cgroup program (sock_addr, sock, skb, …) attached to a cgroup v2 directory through a
 * {@code bpf_link}. Ownership as for every {@link BpfLink}.
 */
public final class CgroupLink implements BpfLink {

    private final LinkHandle handle;
    private final AttachType attachType;

    private CgroupLink(LinkHandle handle, AttachType attachType) {
        this.handle = handle;
        this.attachType = attachType;
    }

    /**
     * Attaches {@code program} to the cgroup directory {@code cgroup} at hook {@code type}.
     *
     * @throws BpfKernelException ENOENT / ENOTDIR for a bad directory, EINVAL when the program does not
     *                            fit the attach type
     */
    public static CgroupLink attach(BpfProgram program, Path cgroup, AttachType type) {
        int dir = LibC.open(cgroup.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC);
        try (Fd cgroupFd = Fd.check(dir, "open", cgroup.toString())) {
            int rc = LibBpfSys.bpfLinkCreate(program.fd().get(), cgroupFd.get(), type.code(), java.lang.foreign.MemorySegment.NULL);
            return new CgroupLink(LinkHandle.create(rc, "bpf_link_create(" + type + ")",
                    program.name() + " on " + cgroup), type);
        }
    }

    static CgroupLink adopt(LinkHandle handle, LinkInfo info) {
        return new CgroupLink(handle, info.attachType().orElse(null));
    }

    public AttachType attachType() {
        return attachType;
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
        return "CgroupLink[id " + id() + ", " + attachType + "]";
    }
}
