package dev.weir.datapath.nodeport;

import java.util.List;

/**
 * Names of the underlay object ({@code bpf/nodeport.c}), its program and maps, and the constants of their
 * keys and values (docs/service-datapath.md, "From outside the node"). {@code np_ct} is defined in
 * {@code bpf/lib/nodeport.h} and shared with {@code tc_endpoint}, which restores local backends' replies;
 * {@code ep_cfg} and the LB maps are shared by name as well (load every object with the same pin directory
 * and sizes).
 */
public final class NodePortMaps {

    /** Object name for {@code Datapath.object}. */
    public static final String OBJECT = "nodeport";
    /** tcx ingress of the node's underlay interface. */
    public static final String FROM_NETDEV = "weir_from_netdev";

    /** The NAT table of external clients' connections (LRU hash of {@link NpCtKey} to {@link NpCtVal}). */
    public static final String CT = "np_ct";
    /**
     * The translation of translated datagrams' first fragments, for their later fragments (LRU hash of
     * {@link dev.weir.datapath.endpoint.EpFragKey} to {@link NpFragVal}); shared with {@code tc_endpoint} like
     * {@link #CT}. Internal: the agent only creates and pins it.
     */
    public static final String FRAG = "np_frag";
    /** This node's SNAT addresses and port range (array of one {@link NpCfg}). */
    public static final String CFG = "np_cfg";
    /** loadBalancerSourceRanges (LPM trie of {@link LbSrcRangeKey} to a u8, 1). */
    public static final String SRC_RANGE = "lb_src_range";
    /** Per-reason counters of the underlay program (per-CPU array of {@code weir_counter}). */
    public static final String STATS = "np_stats";

    /** The maps only this object has (tc_endpoint has np_ct, np_frag and lb_src_range too). */
    public static final List<String> OWN = List.of(CFG, STATS);

    public static final int CT_ENTRIES = 65536;
    public static final int FRAG_ENTRIES = 8192;
    public static final int SRC_RANGE_ENTRIES = 65536;

    /** {@code np_ct_key.dir}: the client's packet to the frontend, as it arrives. */
    public static final int DIR_FWD = 0;
    /** {@code np_ct_key.dir}: the backend's reply, as it arrives (to the SNAT port, or to the client). */
    public static final int DIR_REV = 1;

    /** {@code np_ct_val.flags}: the client's source became the node's address and a SNAT port. */
    public static final int F_SNAT = 1;
    /**
     * {@code np_ct_val.flags}: direct server return; on a FWD entry, the frontend travels to the backend's node in an
     * IPv4 option; on a REV entry without partner, made on the backend's node from that option.
     */
    public static final int F_DSR = 2;

    /** The default SNAT port range (above the NodePort range), used when {@link NpCfg} gives none. */
    public static final int SNAT_PORT_MIN = 32768;
    public static final int SNAT_PORT_MAX = 65535;

    private NodePortMaps() {
    }
}
