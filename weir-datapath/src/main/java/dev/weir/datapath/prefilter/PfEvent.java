package dev.weir.datapath.prefilter;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Optional;

import dev.weir.datapath.Mem;
import dev.weir.datapath.DropReason;
import dev.weir.ebpf.Codec;

/**
 * {@code struct pf_event}: a sampled drop from {@code pf_events}. Immutable.
 *
 * @param tsNs {@code bpf_ktime_get_ns()} at the drop (CLOCK_MONOTONIC)
 * @param ifindex ingress interface index
 * @param rule deciding rule id, {@link PfFragVal#RULE_NONE} if none
 * @param reason reason code ({@link DropReason})
 * @param pktLen packet length in bytes
 * @param sport source port, 0 when unknown
 * @param dport destination port, 0 when unknown
 * @param family 4, 6, or 0 when the drop came before the IP header was read
 * @param proto IP protocol, 0 when unknown
 * @param src source address, 16 bytes (IPv4 v4-mapped; zero when unknown)
 * @param dst destination address, 16 bytes
 * @param data the first {@code min(pktLen, 128)} bytes of the packet
 * @param flags {@link PfFragVal#DRY_RUN}: a dry-run drop, the packet passed
 */
public record PfEvent(long tsNs, int ifindex, int rule, int reason, int pktLen, int sport, int dport,
                      int family, int proto, byte[] src, byte[] dst, byte[] data, int flags) {

    /** Packet bytes an event holds at most ({@code PF_EVENT_SNAP}). */
    public static final int SNAP = 128;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("ts_ns"),
            Mem.U32.withName("ifindex"),
            Mem.U32.withName("rule"),
            Mem.U32.withName("reason"),
            Mem.U32.withName("pkt_len"),
            Mem.U16.withName("sport"),
            Mem.U16.withName("dport"),
            Mem.U8.withName("family"),
            Mem.U8.withName("proto"),
            Mem.U16.withName("cap_len"),
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("src"),
            MemoryLayout.sequenceLayout(16, Mem.U8).withName("dst"),
            MemoryLayout.sequenceLayout(SNAP, Mem.U8).withName("data"),
            Mem.U32.withName("flags"),
            Mem.U32.withName("_pad")).withName("pf_event");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<PfEvent> CODEC = Codec.of(LAYOUT, PfEvent::encode, PfEvent::decode);

    public PfEvent {
        src = Mem.checkLength(src, 16, "source");
        dst = Mem.checkLength(dst, 16, "destination");
        data = data.clone();
        if (data.length > SNAP) {
            throw new IllegalArgumentException("at most " + SNAP + " packet bytes, got " + data.length);
        }
    }

    /** The reason, if this build knows its code. */
    public Optional<DropReason> dropReason() {
        return DropReason.find(reason);
    }

    /** Source address, {@code Optional.empty()} when the drop came before the IP header. */
    public Optional<InetAddress> source() {
        return family == 0 ? Optional.empty() : Optional.of(Mem.address(family == 4 ? Arrays.copyOfRange(src, 12, 16) : src));
    }

    /** Destination address, {@code Optional.empty()} when the drop came before the IP header. */
    public Optional<InetAddress> destination() {
        return family == 0 ? Optional.empty() : Optional.of(Mem.address(family == 4 ? Arrays.copyOfRange(dst, 12, 16) : dst));
    }

    @Override
    public byte[] src() {
        return src.clone();
    }

    @Override
    public byte[] dst() {
        return dst.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, tsNs);
        Mem.u32(dst, 8, ifindex);
        Mem.u32(dst, 12, rule);
        Mem.u32(dst, 16, reason);
        Mem.u32(dst, 20, pktLen);
        Mem.u16(dst, 24, sport);
        Mem.u16(dst, 26, dport);
        Mem.u8(dst, 28, family);
        Mem.u8(dst, 29, proto);
        Mem.u16(dst, 30, data.length);
        Mem.bytes(dst, 32, src);
        Mem.bytes(dst, 48, this.dst);
        dst.asSlice(64, SNAP).fill((byte) 0);
        Mem.bytes(dst, 64, data);
        Mem.u32(dst, 64 + SNAP, flags);
        Mem.u32(dst, 68 + SNAP, 0);
    }

    /** True when the drop was a dry run: counted and reported, but the packet passed. */
    public boolean dryRun() {
        return (flags & PfFragVal.DRY_RUN) != 0;
    }

    public static PfEvent decode(MemorySegment src) {
        int cap = Math.min(Mem.u16(src, 30), SNAP);
        return new PfEvent(Mem.u64(src, 0), Mem.u32(src, 8), Mem.u32(src, 12), Mem.u32(src, 16),
                Mem.u32(src, 20), Mem.u16(src, 24), Mem.u16(src, 26), Mem.u8(src, 28), Mem.u8(src, 29),
                Mem.bytes(src, 32, 16), Mem.bytes(src, 48, 16), Mem.bytes(src, 64, cap), Mem.u32(src, 64 + SNAP));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PfEvent e && e.tsNs == tsNs && e.ifindex == ifindex && e.rule == rule
                && e.reason == reason && e.pktLen == pktLen && e.sport == sport && e.dport == dport
                && e.family == family && e.proto == proto && Arrays.equals(e.src, src)
                && Arrays.equals(e.dst, dst) && Arrays.equals(e.data, data) && e.flags == flags;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tsNs) * 31 + reason * 17 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "PfEvent[%s%s rule=%d if=%d len=%d %s %s:%d > %s:%d]".formatted(dryRun() ? "(dry run) " : "",
                DropReason.describe(reason),
                Integer.toUnsignedLong(rule), ifindex, pktLen, proto,
                source().map(InetAddress::getHostAddress).orElse("?"), sport,
                destination().map(InetAddress::getHostAddress).orElse("?"), dport);
    }
}
