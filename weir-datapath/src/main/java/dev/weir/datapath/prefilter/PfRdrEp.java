package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_rdr_ep}: value of {@code pf_rdr_ep} (key: a local pod's address, {@link PfAddr}), what the
 * prefilter's redirect stage needs to send a packet straight to the pod's veth. The datapath uses it only while
 * {@code ep_by_ifindex[ifindex]} names the same endpoint and {@code pf_devmap} holds {@code ifindex}. Immutable.
 *
 * @param epId    the endpoint id, as in {@code ep_info.ep_id}
 * @param ifindex its host-side veth (lxc) in the node's namespace
 * @param podMac  the pod's eth0 address (6 bytes): the redirected frame's destination
 * @param lxcMac  the lxc veth's address (6 bytes): the redirected frame's source
 */
public record PfRdrEp(int epId, int ifindex, byte[] podMac, byte[] lxcMac) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("ep_id"),
            Mem.U32.withName("ifindex"),
            MemoryLayout.sequenceLayout(6, Mem.U8).withName("pod_mac"),
            MemoryLayout.sequenceLayout(6, Mem.U8).withName("lxc_mac")).withName("pf_rdr_ep");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfRdrEp> CODEC = Codec.of(LAYOUT, PfRdrEp::encode, PfRdrEp::decode);

    /** @throws IllegalArgumentException when a MAC address is not 6 bytes */
    public PfRdrEp {
        podMac = Mem.checkLength(podMac, 6, "pod MAC address");
        lxcMac = Mem.checkLength(lxcMac, 6, "lxc MAC address");
    }

    @Override
    public byte[] podMac() {
        return podMac.clone();
    }

    @Override
    public byte[] lxcMac() {
        return lxcMac.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfRdrEp e && e.epId == epId && e.ifindex == ifindex
                && Arrays.equals(e.podMac, podMac) && Arrays.equals(e.lxcMac, lxcMac);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * epId + ifindex) + Arrays.hashCode(podMac);
    }

    @Override
    public String toString() {
        return "PfRdrEp[epId=" + epId + ", ifindex=" + ifindex + ", podMac=" + Macs.text(podMac)
                + ", lxcMac=" + Macs.text(lxcMac) + "]";
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, epId);
        Mem.u32(dst, 4, ifindex);
        Mem.bytes(dst, 8, podMac);
        Mem.bytes(dst, 14, lxcMac);
    }

    public static PfRdrEp decode(MemorySegment src) {
        return new PfRdrEp(Mem.u32(src, 0), Mem.u32(src, 4), Mem.bytes(src, 8, 6), Mem.bytes(src, 14, 6));
    }
}
