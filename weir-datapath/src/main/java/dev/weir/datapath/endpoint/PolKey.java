package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pol_key}: LPM key of {@code pol}. The prefix runs over the fields after
 * {@code prefixlen} in order: endpoint id, generation, direction, padding and peer identity are
 * always exact ({@link #PREFIX_IDENTITY} bits), then family (+8), protocol (+8) and up to 16 bits of
 * the destination port. {@code ep_id}, {@code identity} and {@code dport} are big-endian in the key
 * (the codec converts); fields past the prefix are written as zero. Immutable.
 *
 * @param prefixLen {@link #PREFIX_IDENTITY}, {@link #PREFIX_FAMILY}, {@link #PREFIX_PROTO} + 0..16
 * @param epId endpoint id
 * @param gen policy generation, 0 or 1
 * @param dir {@link EndpointMaps#DIR_INGRESS} or {@link EndpointMaps#DIR_EGRESS}
 * @param identity peer identity, 0 = any peer
 * @param family 4 or 6 (0 when the prefix stops before it)
 * @param proto IP protocol
 * @param dport destination port (its first {@code prefixLen - 112} bits count)
 */
public record PolKey(int prefixLen, int epId, int gen, int dir, int identity, int family, int proto, int dport) {

    public static final int PREFIX_IDENTITY = 96;
    public static final int PREFIX_FAMILY = 104;
    public static final int PREFIX_PROTO = 112;
    public static final int PREFIX_FULL = 128;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("prefixlen"),
            Mem.BE32.withName("ep_id"),
            Mem.U8.withName("gen"),
            Mem.U8.withName("dir"),
            Mem.pad(2),
            Mem.BE32.withName("identity"),
            Mem.U8.withName("family"),
            Mem.U8.withName("proto"),
            Mem.BE16.withName("dport")).withName("pol_key");

    /** The map codec: {@link #LAYOUT}, big-endian where the C struct says {@code __be}. */
    public static final Codec<PolKey> CODEC = Codec.of(LAYOUT, PolKey::encode, PolKey::decode);

    public PolKey {
        Mem.checkRange(prefixLen, PREFIX_IDENTITY, PREFIX_FULL, "pol prefix length");
        Mem.checkRange(gen, 0, 1, "generation");
        Mem.checkRange(dir, 0, 1, "direction");
        Mem.checkRange(family, 0, 255, "family");
        Mem.checkRange(proto, 0, 255, "protocol");
        Mem.checkRange(dport, 0, 65535, "port");
        // canonical: what lies past the prefix is zero, so equal prefixes are equal keys
        if (prefixLen < PREFIX_FAMILY) {
            family = 0;
        }
        if (prefixLen < PREFIX_PROTO) {
            proto = 0;
        }
        int portBits = Math.max(0, prefixLen - PREFIX_PROTO);
        dport = portBits == 0 ? 0 : dport & (0xffff << (16 - portBits)) & 0xffff;
    }

    /** Peer identity (0: any), every family, protocol and port. */
    public static PolKey peer(int epId, int gen, int dir, int identity) {
        return new PolKey(PREFIX_IDENTITY, epId, gen, dir, identity, 0, 0, 0);
    }

    /** Peer and address family. */
    public static PolKey family(int epId, int gen, int dir, int identity, int family) {
        return new PolKey(PREFIX_FAMILY, epId, gen, dir, identity, family, 0, 0);
    }

    /** Peer, family and protocol, any port. */
    public static PolKey proto(int epId, int gen, int dir, int identity, int family, int proto) {
        return new PolKey(PREFIX_PROTO, epId, gen, dir, identity, family, proto, 0);
    }

    /** Peer, family, protocol and one destination port. */
    public static PolKey port(int epId, int gen, int dir, int identity, int family, int proto, int port) {
        return new PolKey(PREFIX_FULL, epId, gen, dir, identity, family, proto, port);
    }

    /** Peer, family, protocol and the aligned port block of {@code bits} leading bits of {@code port}. */
    public static PolKey portPrefix(int epId, int gen, int dir, int identity, int family, int proto, int port,
                                    int bits) {
        return new PolKey(PREFIX_PROTO + Mem.checkRange(bits, 0, 16, "port prefix bits"), epId, gen, dir,
                identity, family, proto, port);
    }

    public void encode(MemorySegment dst) {
        Mem.u32(dst, 0, prefixLen);
        Mem.be32(dst, 4, epId);
        Mem.u8(dst, 8, gen);
        Mem.u8(dst, 9, dir);
        Mem.u16(dst, 10, 0);
        Mem.be32(dst, 12, identity);
        Mem.u8(dst, 16, family);
        Mem.u8(dst, 17, proto);
        Mem.be16(dst, 18, dport);
    }

    public static PolKey decode(MemorySegment src) {
        return new PolKey(Mem.u32(src, 0), Mem.be32(src, 4), Mem.u8(src, 8), Mem.u8(src, 9), Mem.be32(src, 12),
                Mem.u8(src, 16), Mem.u8(src, 17), Mem.be16(src, 18));
    }
}
