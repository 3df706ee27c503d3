package dev.weir.datapath.endpoint;

/**
 * Names of the endpoint object ({@code bpf/tc_endpoint.c}), its programs and maps
 * ({@code docs/policy-datapath.md}), and the constants shared by their keys and values.
 */
public final class EndpointMaps {

    /** Object name for {@code Datapath.object}. */
    public static final String OBJECT = "tc_endpoint";
    /** clsact ingress of the lxc (a filter at {@link #FILTER_SLOT}): what the pod sends, its egress policy. */
    public static final String FROM_EP = "weir_from_ep";
    /** clsact egress of the lxc (a filter at {@link #FILTER_SLOT}): what is sent to the pod, its ingress policy. */
    public static final String TO_EP = "weir_to_ep";
    /**
     * Where {@link #FROM_EP} and {@link #TO_EP} sit on a pod's lxc: handle 0x77656972 ("weir"), priority 1 (first).
     * A fixed slot, so that a restarted agent finds its filters and replaces them in place.
     */
    public static final dev.weir.ebpf.TcFilter.Slot FILTER_SLOT = new dev.weir.ebpf.TcFilter.Slot(0x77656972, 1);
    /** tcx ingress of the VXLAN device (tunnel mode): the source identity from the VNI, for weir_to_ep. */
    public static final String FROM_OVERLAY = "weir_from_overlay";

    public static final String EP_BY_IFINDEX = "ep_by_ifindex";
    public static final String IPCACHE = "ipcache";
    public static final String POL = "pol";
    public static final String CT = "ct";
    public static final String STATS = "ep_stats";
    public static final String FLOW_EVENTS = "flow_events";
    public static final String CFG = "ep_cfg";
    /** {@code dns_cfg[0]}: {@link DnsCfg}, DNS visibility on or off ({@code bpf/lib/dns.h}). */
    public static final String DNS_CFG = "dns_cfg";
    /** The ring buffer of {@link DnsEvent}s. */
    public static final String DNS_EVENTS = "dns_events";
    /** Per-CPU {@code __u64}: {@link DnsEvent#STAT_SENT}, {@link DnsEvent#STAT_LOST}. */
    public static final String DNS_STATS = "dns_stats";
    /** Internal: first fragments' verdicts for the later fragments. The agent only creates/pins it. */
    public static final String FRAG = "ep_frag";
    /** Internal: per-CPU sequence for trace sampling. */
    public static final String TRACE_SEQ = "ep_trace_seq";

    /** Default sizes (the loader may override them). */
    public static final int ENDPOINTS = 4096;
    public static final int IPCACHE_ENTRIES = 65536;
    public static final int POL_ENTRIES = 65536;
    public static final int CT_ENTRIES = 65536;
    public static final int FRAG_ENTRIES = 8192;
    public static final int FLOW_EVENTS_BYTES = 4 * 1024 * 1024;

    /** Direction (pol_key.dir, ct_key.dir, flow_event.dir): to the pod. */
    public static final int DIR_INGRESS = 0;
    /** Direction: from the pod. */
    public static final int DIR_EGRESS = 1;

    /** Reserved identities. 0 is never stored: "any peer" in {@link PolKey}. */
    public static final int ID_ANY = 0;
    public static final int ID_HOST = 1;
    public static final int ID_WORLD = 2;
    public static final int ID_REMOTE_NODE = 6;
    public static final int ID_FIRST_ENDPOINT = 256;
    public static final int ID_FIRST_CIDR = 1 << 24;

    private EndpointMaps() {
    }
}
