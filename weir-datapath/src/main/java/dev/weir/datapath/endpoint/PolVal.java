package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pol_val}: a policy entry's verdict and counters. The datapath adds to
 * {@code packets}/{@code bytes} atomically for every new connection the entry decides (the bytes of
 * its first packet); the agent writes them as 0. Immutable.
 *
 * @param action {@link #ALLOW} or {@link #DENY} (the datapath treats anything else as a deny)
 * @param hasL4 the key names a protocol (prefix length >= 112): reported in flow events' match
 * @param rule rule reference for flows, 0 none
 * @param packets connections decided by this entry
 * @param bytes bytes of their first packets
 */
public record PolVal(int action, boolean hasL4, int rule, long packets, long bytes) {

    public static final int ALLOW = 1;
    public static final int DENY = 2;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U8.withName("action"),
            Mem.U8.withName("has_l4"),
            Mem.pad(2),
            Mem.U32.withName("rule"),
            Mem.U64.withName("packets"),
            Mem.U64.withName("bytes")).withName("pol_val");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PolVal> CODEC = Codec.of(LAYOUT, PolVal::encode, PolVal::decode);

    /** A fresh allow entry for a key; {@code hasL4} from the key's prefix length. */
    public static PolVal allow(PolKey key, int rule) {
        return new PolVal(ALLOW, key.prefixLen() >= PolKey.PREFIX_PROTO, rule, 0, 0);
    }

    /** A fresh deny entry for a key. */
    public static PolVal deny(PolKey key, int rule) {
        return new PolVal(DENY, key.prefixLen() >= PolKey.PREFIX_PROTO, rule, 0, 0);
    }

    public void encode(MemorySegment dst) {
        Mem.u8(dst, 0, action);
        Mem.u8(dst, 1, hasL4 ? 1 : 0);
        Mem.u16(dst, 2, 0);
        Mem.u32(dst, 4, rule);
        Mem.u64(dst, 8, packets);
        Mem.u64(dst, 16, bytes);
    }

    public static PolVal decode(MemorySegment src) {
        return new PolVal(Mem.u8(src, 0), Mem.u8(src, 1) != 0, Mem.u32(src, 4), Mem.u64(src, 8), Mem.u64(src, 16));
    }
}
