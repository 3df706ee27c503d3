package dev.weir.datapath.capture;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;

/**
 * {@code struct cap_event}: one captured packet from {@code cap_events}. Immutable.
 *
 * @param tsNs        {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC)
 * @param ifindex     the hook's interface (XDP: the ingress interface)
 * @param pktLen      the packet's length on the wire
 * @param epId        TC endpoint hooks: the endpoint; else 0
 * @param srcIdentity TC endpoint hooks: the source's identity; else 0 (unknown)
 * @param dstIdentity TC endpoint hooks: the destination's identity; else 0
 * @param reason      the verdict's reason code ({@link dev.weir.datapath.DropReason})
 * @param hook        where it was captured
 * @param verdict     1 FORWARDED, 2 DROPPED
 * @param dir         TC endpoint hooks: 0 to the pod, 1 from it
 * @param data        the first bytes of the packet (its Ethernet frame)
 */
public record CapEvent(long tsNs, int ifindex, int pktLen, int epId, int srcIdentity, int dstIdentity, int reason,
                       CaptureMaps.Hook hook, int verdict, int dir, byte[] data) {

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("ts_ns"),
            Mem.U32.withName("ifindex"),
            Mem.U32.withName("pkt_len"),
            Mem.U32.withName("cap_len"),
            Mem.U32.withName("ep_id"),
            Mem.U32.withName("src_identity"),
            Mem.U32.withName("dst_identity"),
            Mem.U16.withName("reason"),
            Mem.U8.withName("hook"),
            Mem.U8.withName("verdict"),
            Mem.U8.withName("dir"),
            MemoryLayout.sequenceLayout(3, Mem.U8).withName("_pad"),
            MemoryLayout.sequenceLayout(CaptureMaps.SNAP_MAX, Mem.U8).withName("data")).withName("cap_event");

    private static final long DATA = Mem.offset(LAYOUT, "data");

    public CapEvent {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Decodes a ring buffer record; a cap_len past the record's end is clamped to it. */
    public static CapEvent decode(MemorySegment src) {
        int capLen = Math.min(Mem.u32(src, 16), (int) Math.min(CaptureMaps.SNAP_MAX, src.byteSize() - DATA));
        return new CapEvent(Mem.u64(src, 0), Mem.u32(src, 8), Mem.u32(src, 12), Mem.u32(src, 20), Mem.u32(src, 24),
                Mem.u32(src, 28), Mem.u16(src, 32), CaptureMaps.Hook.of(Mem.u8(src, 34)), Mem.u8(src, 35),
                Mem.u8(src, 36), Mem.bytes(src, DATA, Math.max(0, capLen)));
    }
}
