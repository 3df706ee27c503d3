package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import dev.weir.datapath.Mem;

/**
 * {@code struct dns_event} ({@code bpf/lib/dns.h}): one DNS message an endpoint hook saw, from
 * {@code dns_events}. Ports are big-endian in the record (the decoder converts). Immutable.
 *
 * @param tsNs        {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC)
 * @param epId        the endpoint
 * @param ifindex     its lxc interface
 * @param srcIdentity the source's identity (0 unknown)
 * @param dstIdentity the destination's identity
 * @param reason      the packet's verdict reason ({@link dev.weir.datapath.DropReason})
 * @param verdict     {@link FlowEvent#FORWARDED} or {@link FlowEvent#DROPPED}
 * @param dir         {@link EndpointMaps#DIR_INGRESS} (to the pod) or {@link EndpointMaps#DIR_EGRESS}
 * @param family      4 or 6
 * @param proto       17 (UDP) or 6 (TCP: the data starts with the message's 2-byte length)
 * @param saddr       16 bytes (IPv4 v4-mapped)
 * @param msgLen      bytes after the L4 header in the packet
 * @param data        the first bytes of them (at most {@link #SNAP_MAX})
 */
public record DnsEvent(long tsNs, int epId, int ifindex, int srcIdentity, int dstIdentity, int reason, int verdict,
                       int dir, int family, int proto, int sport, int dport, byte[] saddr, byte[] daddr, int msgLen,
                       byte[] data) {

    /** {@code DNS_SNAP_MAX}. */
    public static final int SNAP_MAX = 512;
    /** {@code DNS_EVENTS_BYTES}. */
    public static final int EVENTS_BYTES = 256 * 1024;
    /** {@code dns_stats} keys. */
    public static final int STAT_SENT = 0;
    public static final int STAT_LOST = 1;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("ts_ns"),
            Mem.U32.withName("ep_id"),
            Mem.U32.withName("ifindex"),
            Mem.U32.withName("src_identity"),
            Mem.U32.withName("dst_identity"),
            Mem.U16.withName("reason"),
            Mem.U8.withName("verdict"),
            Mem.U8.withName("dir"),
            Mem.U8.withName("family"),
            Mem.U8.withName("proto"),
            Mem.pad(2),
            Mem.BE16.withName("sport"),
            Mem.BE16.withName("dport"),
            Mem.addr("saddr"),
            Mem.addr("daddr"),
            Mem.U16.withName("msg_len"),
            Mem.U16.withName("cap_len"),
            MemoryLayout.sequenceLayout(SNAP_MAX, Mem.U8).withName("data")).withName("dns_event");

    private static final long DATA = Mem.offset(LAYOUT, "data");

    public DnsEvent {
        saddr = Mem.checkLength(saddr, 16, "source");
        daddr = Mem.checkLength(daddr, 16, "destination");
        data = data.clone();
    }

    @Override
    public byte[] saddr() {
        return saddr.clone();
    }

    @Override
    public byte[] daddr() {
        return daddr.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Decodes a ring buffer record; a cap_len past the record's end is clamped to it. */
    public static DnsEvent decode(MemorySegment src) {
        int capLen = (int) Math.min(Mem.u16(src, 70), Math.min(SNAP_MAX, src.byteSize() - DATA));
        return new DnsEvent(Mem.u64(src, 0), Mem.u32(src, 8), Mem.u32(src, 12), Mem.u32(src, 16), Mem.u32(src, 20),
                Mem.u16(src, 24), Mem.u8(src, 26), Mem.u8(src, 27), Mem.u8(src, 28), Mem.u8(src, 29),
                Mem.be16(src, 32), Mem.be16(src, 34), Mem.bytes(src, 36, 16), Mem.bytes(src, 52, 16),
                Mem.u16(src, 68), Mem.bytes(src, DATA, Math.max(0, capLen)));
    }
}
