package dev.weir.ebpf;

import java.nio.file.Path;

/**
 * An {@code sk_msg} or {@code sk_skb} program attached to a sockmap or sockhash through a {@code bpf_link}
 * (Linux 6.10): the program then runs for every socket in that map. Ownership as for every {@link BpfLink}.
 */
public final class SockmapLink implements BpfLink {

    private final LinkHandle handle;
    private final AttachType attachType;

    private SockmapLink(LinkHandle handle, AttachType attachType) {
        this.handle = handle;
        this.attachType = attachType;
    }

    /**
     * Attaches {@code program} to {@code map} as {@code type} ({@link AttachType#SK_MSG_VERDICT}, ...).
     *
     * @throws BpfKernelException EINVAL when the program or map does not fit the attach type (or the kernel
     *                            has no sockmap links), EBUSY when the map has a program of that type already
     */
    public static SockmapLink attach(BpfProgram program, BpfMap<?, ?> map, AttachType type) {
        int rc = LibBpfSys.bpfLinkCreate(program.fd().get(), map.fd().get(), type.code(), java.lang.foreign.MemorySegment.NULL);
        return new SockmapLink(LinkHandle.create(rc, "bpf_link_create(" + type + ")",
                program.name() + " on map " + map.name()), type);
    }

    static SockmapLink adopt(LinkHandle handle, LinkInfo info) {
        return new SockmapLink(handle, info.attachType().orElse(null));
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
        return "SockmapLink[id " + id() + ", " + attachType + "]";
    }
}
