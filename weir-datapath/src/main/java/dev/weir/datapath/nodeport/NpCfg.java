package dev.weir.datapath.nodeport;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct np_cfg}, entry 0 of {@code np_cfg}: this node's SNAT addresses and port range, and whether remote
 * backends are reached with direct server return. Immutable.
 *
 * @param snat4   the node's IPv4 address, 16 bytes v4-mapped; all zero: no IPv4 SNAT (such clients drop)
 * @param snat6   the node's IPv6 address; all zero: none
 * @param portMin first SNAT port; 0 (or min &gt; max): the defaults {@link NodePortMaps#SNAT_PORT_MIN}..
 * @param portMax last SNAT port
 * @param dsr     {@code mode} NP_MODE_DSR: clients keep their address and the frontend goes in an IPv4 option or IPv6
 *                destination option
 *                (weir agent --nodeport-mode dsr); false: NP_MODE_SNAT
 */
public record NpCfg(byte[] snat4, byte[] snat6, int portMin, int portMax, boolean dsr) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("snat4"),
            Mem.addr("snat6"),
            Mem.U16.withName("port_min"),
            Mem.U16.withName("port_max"),
            Mem.U8.withName("mode"),
            Mem.pad(3)).withName("np_cfg");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<NpCfg> CODEC = Codec.of(LAYOUT, NpCfg::encode, NpCfg::decode);

    public NpCfg {
        snat4 = Mem.checkLength(snat4, 16, "IPv4 SNAT address");
        snat6 = Mem.checkLength(snat6, 16, "IPv6 SNAT address");
        Mem.checkRange(portMin, 0, 0xffff, "first SNAT port");
        Mem.checkRange(portMax, 0, 0xffff, "last SNAT port");
    }

    /** SNAT mode. */
    public NpCfg(byte[] snat4, byte[] snat6, int portMin, int portMax) {
        this(snat4, snat6, portMin, portMax, false);
    }

    /** The same with direct server return on or off. */
    public NpCfg withDsr(boolean on) {
        return new NpCfg(snat4, snat6, portMin, portMax, on);
    }

    /** The node's addresses (either may be null), the default port range. */
    public static NpCfg of(InetAddress ipv4, InetAddress ipv6) {
        return new NpCfg(ipv4 == null ? new byte[16] : Mem.mapped(ipv4), ipv6 == null ? new byte[16] : Mem.mapped(ipv6),
                NodePortMaps.SNAT_PORT_MIN, NodePortMaps.SNAT_PORT_MAX);
    }

    @Override
    public byte[] snat4() {
        return snat4.clone();
    }

    @Override
    public byte[] snat6() {
        return snat6.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, snat4);
        Mem.bytes(dst, 16, snat6);
        Mem.u16(dst, 32, portMin);
        Mem.u16(dst, 34, portMax);
        Mem.u8(dst, 36, dsr ? 1 : 0);
        Mem.bytes(dst, 37, new byte[3]);
    }

    public static NpCfg decode(MemorySegment src) {
        return new NpCfg(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.u16(src, 32), Mem.u16(src, 34),
                Mem.u8(src, 36) == 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpCfg c && Arrays.equals(c.snat4, snat4) && Arrays.equals(c.snat6, snat6)
                && c.portMin == portMin && c.portMax == portMax && c.dsr == dsr;
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(snat4) * 31 + Arrays.hashCode(snat6)) * 31 + (portMin << 16 | portMax)) * 31
                + Boolean.hashCode(dsr);
    }

    @Override
    public String toString() {
        return "NpCfg[snat4=%s snat6=%s ports=%d-%d mode=%s]".formatted(Mem.text(snat4), Mem.text(snat6), portMin, portMax,
                dsr ? "dsr" : "snat");
    }
}
