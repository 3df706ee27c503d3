package dev.weir.datapath.endpoint;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.time.Duration;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.Codec;

/**
 * {@code struct ep_cfg}: {@code ep_cfg[0]}, the conntrack lifetimes and trace sampling. A lifetime of
 * 0 makes the datapath use its default ({@link #DEFAULTS}). Immutable.
 *
 * @param ctSynNs TCP with only SYN / SYN-ACK seen
 * @param ctEstablishedNs TCP established
 * @param ctClosingNs TCP after FIN or RST
 * @param ctOtherNs every other protocol
 * @param traceEvery 1-in-N forwarded packets traced (per CPU); 0 off
 * @param tunnelIfindex tunnel mode: the ifindex of the node's VXLAN device; 0 without a tunnel
 */
public record EpCfg(long ctSynNs, long ctEstablishedNs, long ctClosingNs, long ctOtherNs, int traceEvery,
                    int tunnelIfindex) {

    /** The contract's lifetimes: 60 s, 21600 s, 10 s, 60 s; no traces, no tunnel. */
    public static final EpCfg DEFAULTS = new EpCfg(Duration.ofSeconds(60).toNanos(),
            Duration.ofSeconds(21600).toNanos(), Duration.ofSeconds(10).toNanos(), Duration.ofSeconds(60).toNanos(), 0, 0);

    public EpCfg(long ctSynNs, long ctEstablishedNs, long ctClosingNs, long ctOtherNs, int traceEvery) {
        this(ctSynNs, ctEstablishedNs, ctClosingNs, ctOtherNs, traceEvery, 0);
    }

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Mem.U64.withName("ct_syn_ns"),
            Mem.U64.withName("ct_established_ns"),
            Mem.U64.withName("ct_closing_ns"),
            Mem.U64.withName("ct_other_ns"),
            Mem.U32.withName("trace_every"),
            Mem.U32.withName("tunnel_ifindex")).withName("ep_cfg");

    /** The map codec: {@link #LAYOUT}, host byte order. */
    public static final Codec<EpCfg> CODEC = Codec.of(LAYOUT, EpCfg::encode, EpCfg::decode);

    public EpCfg withTraceEvery(int n) {
        return new EpCfg(ctSynNs, ctEstablishedNs, ctClosingNs, ctOtherNs, n, tunnelIfindex);
    }

    public EpCfg withTunnelIfindex(int ifindex) {
        return new EpCfg(ctSynNs, ctEstablishedNs, ctClosingNs, ctOtherNs, traceEvery, ifindex);
    }

    public void encode(MemorySegment dst) {
        Mem.u64(dst, 0, ctSynNs);
        Mem.u64(dst, 8, ctEstablishedNs);
        Mem.u64(dst, 16, ctClosingNs);
        Mem.u64(dst, 24, ctOtherNs);
        Mem.u32(dst, 32, traceEvery);
        Mem.u32(dst, 36, tunnelIfindex);
    }

    public static EpCfg decode(MemorySegment src) {
        return new EpCfg(Mem.u64(src, 0), Mem.u64(src, 8), Mem.u64(src, 16), Mem.u64(src, 24), Mem.u32(src, 32),
                Mem.u32(src, 36));
    }
}
