package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ct_key}: key of {@code ct}, the tuple of the packet that opened the connection, at the
 * hook ({@code dir}) of the endpoint that created it. Ports are big-endian in the key (the codec
 * converts). ICMP echo: the echo id as source port, 0 as destination port. Immutable.
 *
 * @param saddr source address, 16 bytes (IPv4 v4-mapped)
 * @param daddr destination address, 16 bytes
 * @param sport source port
 * @param dport destination port
 * @param proto IP protocol
 * @param dir {@link EndpointMaps#DIR_INGRESS} (entry of the destination endpoint) or
 *            {@link EndpointMaps#DIR_EGRESS} (of the source endpoint), or {@link #DIR_SERVICE} (a service
 *            entry of the source endpoint: its tuple to a frontend, before DNAT)
 * @param epId the endpoint whose hook created it
 */
public record CtKey(byte[] saddr, byte[] daddr, int sport, int dport, int proto, int dir, int epId) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.addr("saddr"),
            Mem.addr("daddr"),
            Mem.BE16.withName("sport"),
            Mem.BE16.withName("dport"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("dir"),
            Mem.U16.withName("_pad"),
            Mem.U32.withName("ep_id")).withName("ct_key");

    /** The map codec: {@link #LAYOUT}. */
    /** {@code dir} of a service entry: the client's tuple to a service frontend, before DNAT. */
    public static final int DIR_SERVICE = 2;

    public static final Codec<CtKey> CODEC = Codec.of(LAYOUT, CtKey::encode, CtKey::decode);

    public CtKey {
        saddr = Mem.checkLength(saddr, 16, "source");
        daddr = Mem.checkLength(daddr, 16, "destination");
    }

    public static CtKey of(InetAddress src, InetAddress dst, int sport, int dport, int proto, int dir, int epId) {
        return new CtKey(Mem.mapped(src), Mem.mapped(dst), sport, dport, proto, dir, epId);
    }

    /** The key a reply looks for: addresses and ports swapped, the other direction. */
    public CtKey reversed() {
        return new CtKey(daddr, saddr, dport, sport, proto, 1 - dir, epId);
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
        Mem.u32(dst, 40, epId);
    }

    public static CtKey decode(MemorySegment src) {
        return new CtKey(Mem.bytes(src, 0, 16), Mem.bytes(src, 16, 16), Mem.be16(src, 32), Mem.be16(src, 34),
                Mem.u8(src, 36), Mem.u8(src, 37), Mem.u32(src, 40));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CtKey k && Arrays.equals(k.saddr, saddr) && Arrays.equals(k.daddr, daddr)
                && k.sport == sport && k.dport == dport && k.proto == proto && k.dir == dir && k.epId == epId;
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(saddr) * 31 + Arrays.hashCode(daddr)) * 31 + (sport << 16 | dport)) * 31
                + proto * 7 + dir * 3 + epId;
    }

    @Override
    public String toString() {
        return "CtKey[ep=%d %s proto=%d %s:%d > %s:%d]".formatted(epId, dir == EndpointMaps.DIR_EGRESS ? "egress"
                : dir == DIR_SERVICE ? "service" : "ingress", proto, Mem.text(saddr), sport, Mem.text(daddr), dport);
    }
}
