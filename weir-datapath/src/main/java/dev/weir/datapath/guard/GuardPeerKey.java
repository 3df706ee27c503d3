package dev.weir.datapath.guard;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct guard_peer_key} ({@code bpf/lib/guard.h}): a {@code toEndpoints} rule (its flow rule id) and an
 * identity it selects, the key of {@link GuardMaps#PEERS}. Immutable.
 */
public record GuardPeerKey(int rule, int identity) implements Comparable<GuardPeerKey> {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U32.withName("rule"),
            Mem.U32.withName("identity")).withName("guard_peer_key");

    public static final Codec<GuardPeerKey> CODEC = Codec.of(LAYOUT, GuardPeerKey::encode, GuardPeerKey::decode);

    public void encode(MemorySegment s) {
        Mem.u32(s, 0, rule);
        Mem.u32(s, 4, identity);
    }

    public static GuardPeerKey decode(MemorySegment s) {
        return new GuardPeerKey(Mem.u32(s, 0), Mem.u32(s, 4));
    }

    @Override
    public int compareTo(GuardPeerKey o) {
        int c = Integer.compareUnsigned(rule, o.rule);
        return c != 0 ? c : Integer.compareUnsigned(identity, o.identity);
    }
}
