package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Arrays;
import java.util.Optional;

import dev.weir.datapath.Mem;
import dev.weir.datapath.DropReason;
import dev.weir.ebpf.Codec;

/**
 * {@code struct flow_event}: one record of {@code flow_events} — a policy verdict of a new connection,
 * a drop, or a sampled trace. Ports are big-endian in the record (the codec converts). Immutable.
 *
 * @param tsNs {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC)
 * @param epId endpoint id
 * @param ifindex the lxc interface
 * @param srcIdentity source identity (0 unknown, e.g. before the IP header was read)
 * @param dstIdentity destination identity
 * @param rule {@code pol_val.rule} that decided, 0 none
 * @param reason reason code ({@link DropReason})
 * @param verdict {@link #FORWARDED}, {@link #DROPPED}, {@link #AUDIT}, {@link #TRACED}
 * @param dir {@link EndpointMaps#DIR_INGRESS} (to the pod) or {@link EndpointMaps#DIR_EGRESS}
 * @param isReply a conntrack reply
 * @param family 4, 6; 0 before the IP header was read
 * @param proto IP protocol
 * @param tcpFlags FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20
 * @param match {@link #MATCH_NONE} .. {@link #MATCH_ALL}
 * @param sport source port (ICMP echo request: the id)
 * @param dport destination port (ICMP echo reply: the id)
 * @param saddr source, 16 bytes (IPv4 v4-mapped)
 * @param daddr destination, 16 bytes
 * @param len packet length ({@code skb->len})
 * @param svcId the service when the packet was translated at TC (DNAT, or a reply's reverse NAT), else 0;
 *        the addresses and ports are the packet's after translation
 * @param revNatId the frontend of that service ({@code lb_revnat} key), else 0
 * @param hook the socket call a workload guard judged ({@link #HOOK_CONNECT}, {@link #HOOK_SENDMSG},
 *        {@link #HOOK_BIND}, {@link #HOOK_POST_BIND}); {@link #HOOK_NONE} for a packet's event
 */
public record FlowEvent(long tsNs, int epId, int ifindex, int srcIdentity, int dstIdentity, int rule, int reason,
                        int verdict, int dir, boolean isReply, int family, int proto, int tcpFlags, int match,
                        int sport, int dport, byte[] saddr, byte[] daddr, int len, int svcId, int revNatId,
                        int hook) {

    public static final int HOOK_NONE = 0;
    /** {@code connect()}. */
    public static final int HOOK_CONNECT = 1;
    /** {@code sendto()}/{@code sendmsg()} with an address. */
    public static final int HOOK_SENDMSG = 2;
    /** {@code bind()}. */
    public static final int HOOK_BIND = 3;
    /** {@code bind()} of port 0, judged on the port the kernel picked ({@code cgroup/post_bind4/6}). */
    public static final int HOOK_POST_BIND = 4;

    public static final int FORWARDED = 1;
    public static final int DROPPED = 2;
    public static final int AUDIT = 3;
    public static final int TRACED = 4;
    /** The socket LB translated a connect()/sendmsg(), or the underlay a new connection to a frontend. */
    public static final int TRANSLATED = 5;

    public static final int MATCH_NONE = 0;
    /** An identity entry without protocol. */
    public static final int MATCH_L3 = 1;
    /** An identity entry with protocol (and port). */
    public static final int MATCH_L3_L4 = 2;
    /** An any-peer entry with protocol (and port). */
    public static final int MATCH_L4 = 3;
    /** An any-peer entry without protocol. */
    public static final int MATCH_ALL = 4;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("ts_ns"),
            Mem.U32.withName("ep_id"),
            Mem.U32.withName("ifindex"),
            Mem.U32.withName("src_identity"),
            Mem.U32.withName("dst_identity"),
            Mem.U32.withName("rule"),
            Mem.U16.withName("reason"),
            Mem.U8.withName("verdict"),
            Mem.U8.withName("dir"),
            Mem.U8.withName("is_reply"),
            Mem.U8.withName("family"),
            Mem.U8.withName("proto"),
            Mem.U8.withName("tcp_flags"),
            Mem.U8.withName("match"),
            Mem.U8.withName("hook"),
            Mem.pad(2),
            Mem.BE16.withName("sport"),
            Mem.BE16.withName("dport"),
            Mem.addr("saddr"),
            Mem.addr("daddr"),
            Mem.U32.withName("len"),
            Mem.U32.withName("svc_id"),
            Mem.U32.withName("rev_nat_id")).withName("flow_event");

    /** The record codec: {@link #LAYOUT}. */
    public static final Codec<FlowEvent> CODEC = Codec.of(LAYOUT, FlowEvent::encode, FlowEvent::decode);

    public FlowEvent {
        saddr = Mem.checkLength(saddr, 16, "source");
        daddr = Mem.checkLength(daddr, 16, "destination");
    }

    /** A packet's event (no socket call). */
    public FlowEvent(long tsNs, int epId, int ifindex, int srcIdentity, int dstIdentity, int rule, int reason,
                     int verdict, int dir, boolean isReply, int family, int proto, int tcpFlags, int match,
                     int sport, int dport, byte[] saddr, byte[] daddr, int len, int svcId, int revNatId) {
        this(tsNs, epId, ifindex, srcIdentity, dstIdentity, rule, reason, verdict, dir, isReply, family, proto,
                tcpFlags, match, sport, dport, saddr, daddr, len, svcId, revNatId, HOOK_NONE);
    }

    /** The call's name as {@code weir observe} shows it ({@code connect()}), or null for a packet. */
    public static String hookName(int hook) {
        return switch (hook) {
            case HOOK_CONNECT -> "connect()";
            case HOOK_SENDMSG -> "sendmsg()";
            case HOOK_BIND -> "bind()";
            case HOOK_POST_BIND -> "bind() of port 0";
            default -> null;
        };
    }

    /** The reason, if this build knows its code. */
    public Optional<DropReason> dropReason() {
        return DropReason.find(reason);
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
        Mem.u64(dst, 0, tsNs);
        Mem.u32(dst, 8, epId);
        Mem.u32(dst, 12, ifindex);
        Mem.u32(dst, 16, srcIdentity);
        Mem.u32(dst, 20, dstIdentity);
        Mem.u32(dst, 24, rule);
        Mem.u16(dst, 28, reason);
        Mem.u8(dst, 30, verdict);
        Mem.u8(dst, 31, dir);
        Mem.u8(dst, 32, isReply ? 1 : 0);
        Mem.u8(dst, 33, family);
        Mem.u8(dst, 34, proto);
        Mem.u8(dst, 35, tcpFlags);
        Mem.u8(dst, 36, match);
        Mem.u8(dst, 37, hook);
        dst.asSlice(38, 2).fill((byte) 0);
        Mem.be16(dst, 40, sport);
        Mem.be16(dst, 42, dport);
        Mem.bytes(dst, 44, saddr);
        Mem.bytes(dst, 60, daddr);
        Mem.u32(dst, 76, len);
        Mem.u32(dst, 80, svcId);
        Mem.u32(dst, 84, revNatId);
    }

    public static FlowEvent decode(MemorySegment src) {
        return new FlowEvent(Mem.u64(src, 0), Mem.u32(src, 8), Mem.u32(src, 12), Mem.u32(src, 16), Mem.u32(src, 20),
                Mem.u32(src, 24), Mem.u16(src, 28), Mem.u8(src, 30), Mem.u8(src, 31), Mem.u8(src, 32) != 0,
                Mem.u8(src, 33), Mem.u8(src, 34), Mem.u8(src, 35), Mem.u8(src, 36), Mem.be16(src, 40),
                Mem.be16(src, 42), Mem.bytes(src, 44, 16), Mem.bytes(src, 60, 16), Mem.u32(src, 76),
                Mem.u32(src, 80), Mem.u32(src, 84), Mem.u8(src, 37));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowEvent e && e.tsNs == tsNs && e.epId == epId && e.ifindex == ifindex
                && e.srcIdentity == srcIdentity && e.dstIdentity == dstIdentity && e.rule == rule
                && e.reason == reason && e.verdict == verdict && e.dir == dir && e.isReply == isReply
                && e.family == family && e.proto == proto && e.tcpFlags == tcpFlags && e.match == match
                && e.sport == sport && e.dport == dport && Arrays.equals(e.saddr, saddr)
                && Arrays.equals(e.daddr, daddr) && e.len == len && e.svcId == svcId && e.revNatId == revNatId && e.hook == hook;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tsNs) * 31 + reason * 17 + Arrays.hashCode(saddr) + sport * 7 + dport;
    }

    @Override
    public String toString() {
        String v = switch (verdict) {
            case FORWARDED -> "FORWARDED";
            case DROPPED -> "DROPPED";
            case AUDIT -> "AUDIT";
            case TRACED -> "TRACED";
            default -> "verdict " + verdict;
        };
        return "FlowEvent[%s %s ep=%d %s%s id %d>%d proto=%d %s:%d > %s:%d flags=0x%x rule=%d match=%d len=%d%s%s]"
                .formatted(v, DropReason.describe(reason), epId, dir == EndpointMaps.DIR_EGRESS ? "egress" : "ingress",
                        isReply ? " reply" : "", Integer.toUnsignedLong(srcIdentity),
                        Integer.toUnsignedLong(dstIdentity), proto, family == 0 ? "?" : Mem.text(saddr), sport,
                        family == 0 ? "?" : Mem.text(daddr), dport, tcpFlags, rule, match, len,
                        svcId == 0 ? "" : " svc=" + Integer.toUnsignedLong(svcId) + " revnat="
                                + Integer.toUnsignedLong(revNatId), hook == HOOK_NONE ? "" : " " + hookName(hook));
    }
}
