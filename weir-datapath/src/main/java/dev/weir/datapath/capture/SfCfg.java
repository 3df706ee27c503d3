package dev.weir.datapath.capture;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct sf_cfg}: {@code sf_cfg[0]} of {@code sock_filter.o}, what {@code weir capture --iface} keeps.
 * Immutable.
 *
 * @param addr    16 bytes (IPv4 v4-mapped): either side's address, when {@code hasAddr}
 * @param port    either side's TCP/UDP/SCTP port; 0 any
 * @param proto   the IP protocol; 0 any
 * @param payload keep whole packets, not only their headers
 */
public record SfCfg(byte[] addr, int port, int proto, boolean hasAddr, boolean payload) {

    /** The object and its program and map. */
    public static final String OBJECT = "sock_filter";
    public static final String PROGRAM = "weir_sock_filter";
    public static final String MAP = "sf_cfg";

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("addr"),
            Mem.U16.withName("port"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("has_addr"),
            Mem.U8.withName("payload"),
            MemoryLayout.sequenceLayout(3, Mem.U8).withName("_pad")).withName("sf_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<SfCfg> CODEC = Codec.of(LAYOUT, SfCfg::encode, SfCfg::decode);

    public SfCfg {
        addr = Mem.checkLength(addr, 16, "address");
        Mem.checkRange(port, 0, 65535, "port");
        Mem.checkRange(proto, 0, 255, "protocol");
    }

    @Override
    public byte[] addr() {
        return addr.clone();
    }

    public void encode(MemorySegment dst) {
        dst.asSlice(0, LAYOUT.byteSize()).fill((byte) 0);
        Mem.bytes(dst, 0, addr);
        Mem.u16(dst, 16, port);
        Mem.u8(dst, 18, proto);
        Mem.u8(dst, 19, hasAddr ? 1 : 0);
        Mem.u8(dst, 20, payload ? 1 : 0);
    }

    public static SfCfg decode(MemorySegment src) {
        return new SfCfg(Mem.bytes(src, 0, 16), Mem.u16(src, 16), Mem.u8(src, 18), Mem.u8(src, 19) != 0, Mem.u8(src, 20) != 0);
    }
}
