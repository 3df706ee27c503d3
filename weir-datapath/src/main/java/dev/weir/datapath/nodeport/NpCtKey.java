package dev.weir.datapath.nodeport;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct np_ct_key}: a packet's tuple as it arrives, and which side of the translated connection
 * it is ({@link NodePortMaps#DIR_FWD} client to frontend, {@link NodePortMaps#DIR_REV} backend to the
 * SNAT port or the client). Ports are big-endian in the key (the codec converts). Immutable.
 *
 * @param saddr source address, 16 bytes (IPv4 v4-mapped)
 * @param daddr destination address, 16 bytes
 * @param sport source port
 * @param dport destination port
 * @param proto IP protocol
 * @param dir   {@link NodePortMaps#DIR_FWD} or {@link NodePortMaps#DIR_REV}
 */
public record NpCtKey(byte[] saddr, byte[] daddr, int sport, int dport, int proto, int dir) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("saddr"),
            Mem.addr("daddr"),
            Mem.BE16.withName("sport"),
            Mem.BE16.withName("dport"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("dir"),
            Mem.U16.withName("_pad")).withName("np_ct_key");

    /** The map codec: {@link #LAYOUT}. */
    public static final Codec<NpCtKey> CODEC = Codec.of(LAYOUT, NpCtKey::encode, NpCtKey::decode);

    public NpCtKey {
        saddr = Mem.checkLength(saddr, 16, "source");
        daddr = Mem.checkLength(daddr, 16, "destination");
    }

    public static NpCtKey of(InetAddress src, int sport, InetAddress dst, int dport, int proto, int dir) {
        return new NpCtKey(Mem.mapped(src), Mem.mapped(dst), sport, dport, proto, dir);
    }

    @Override
    public byte[] saddr() {
        return saddr.clone();
    }

    @Override
    public byte[] daddr() {
        return daddr.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.bytes(dst, 0, saddr);
        Mem.bytes(dst, 16, daddr);
        Mem.be16(dst, 32, sport);
        Mem.be16(dst, 34, dport);
        Mem.u8(dst, 36, proto);
        Mem.u8(dst, 37, dir);
        Mem.u16(dst, 38, 0);
    }

    public static NpCtKey decode(MemorySegment src) {
        return new NpCtKey(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.be16(src, 32), Mem.be16(src, 34),
                Mem.u8(src, 36), Mem.u8(src, 37));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpCtKey k && Arrays.equals(k.saddr, saddr) && Arrays.equals(k.daddr, daddr)
                && k.sport == sport && k.dport == dport && k.proto == proto && k.dir == dir;
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(saddr) * 31 + Arrays.hashCode(daddr)) * 31 + (sport << 16 | dport)) * 31
                + proto * 7 + dir;
    }

    @Override
    public String toString() {
        return "NpCtKey[%s proto=%d %s:%d > %s:%d]".formatted(dir == NodePortMaps.DIR_FWD ? "fwd" : "rev", proto,
                Mem.text(saddr), sport, Mem.text(daddr), dport);
    }
}
