package dev.weir.datapath.prefilter;

import java.util.List;

/**
 * Names of the XDP prefilter's object, program and maps ({@code docs/prefilter-datapath.md}), and
 * the constants of their keys.
 */
public final class PrefilterMaps {

    /** Object name for {@code Datapath.object}. */
    public static final String OBJECT = "xdp_prefilter";
    /** The XDP program. */
    public static final String PROGRAM = "weir_prefilter";

    public static final String ACTIVE = "pf_active";
    public static final String CFG = "pf_cfg";
    public static final String RATE = "pf_rate";
    public static final String FRAG = "pf_frag";
    public static final String STATS = "pf_stats";
    /** Dry-run drops per reason: packets that passed but would have been dropped. */
    public static final String DRY = "pf_dry";
    public static final String HITS = "pf_hits";
    public static final String EVENTS = "pf_events";
    /** TCP ports the SYN proxy answers for: u32 port to u64 (0 off; else on, and the datapath's last kick). */
    public static final String SYN_PORTS = "pf_syn_ports";
    /** Connections the SYN proxy let through (LRU; datapath-internal). */
    public static final String SYN_FLOWS = "pf_syn_flows";
    /** Per-CPU TCP counters ({@code struct pf_counter}): {@link #TCP_SYN}, {@link #TCP_COOKIE_SENT}, {@link #TCP_COOKIE_OK}. */
    public static final String TCP = "pf_tcp";
    public static final int TCP_SYN = 0;
    public static final int TCP_COOKIE_SENT = 1;
    public static final int TCP_COOKIE_OK = 2;
    /** Redirect stage: local pod address ({@link PfAddr}) to {@link PfRdrEp}. */
    public static final String RDR_EP = "pf_rdr_ep";
    /** Redirect stage: the lxc veths, a devmap (hash) keyed and valued by ifindex. */
    public static final String DEVMAP = "pf_devmap";
    /** Redirect stage: ifindex the prefilter is attached to, to {@link PfRdrIf}; redirects only there. */
    public static final String RDR_IF = "pf_rdr_if";
    /** Redirect stage: per-CPU {@code struct pf_counter} by outcome, {@link #RDR_ESTABLISHED} ... {@link #RDR_NO_DEV}. */
    public static final String RDR_STATS = "pf_rdr_stats";
    public static final int RDR_ESTABLISHED = 0;
    public static final int RDR_REPLY = 1;
    public static final int RDR_NOT_TCP = 2;
    public static final int RDR_SHAPE = 3;
    public static final int RDR_FLAGS = 4;
    public static final int RDR_NO_CT = 5;
    public static final int RDR_CT_FLAGS = 6;
    public static final int RDR_POLICY = 7;
    public static final int RDR_TTL = 8;
    public static final int RDR_NO_DEV = 9;
    /** The outcomes' names, by {@code pf_rdr_stats} index: the first two redirected, the rest the TC path's reasons. */
    public static final List<String> RDR_OUTCOMES = List.of("ESTABLISHED", "REPLY", "NOT_TCP", "SHAPE", "FLAGS",
            "NO_CT", "CT_FLAGS", "POLICY", "TTL", "NO_DEV");
    /** tc_endpoint's maps the redirect stage reads, reused from the node's pins by name. */
    public static final List<String> RDR_REUSED = List.of("ep_by_ifindex", "pol", "ct", "ep_cfg");

    /** Internal: per-CPU drop sequence for event sampling. */
    public static final String SAMPLE = "pf_sample";

    public static final String SRC4_0 = "pf_src4_0";
    public static final String SRC4_1 = "pf_src4_1";
    public static final String DST4_0 = "pf_dst4_0";
    public static final String DST4_1 = "pf_dst4_1";
    public static final String SRC6_0 = "pf_src6_0";
    public static final String SRC6_1 = "pf_src6_1";
    public static final String DST6_0 = "pf_dst6_0";
    public static final String DST6_1 = "pf_dst6_1";
    public static final String PORT_0 = "pf_port_0";
    public static final String PORT_1 = "pf_port_1";
    public static final String PROTO_0 = "pf_proto_0";
    public static final String PROTO_1 = "pf_proto_1";

    /** Port classes of {@code pf_port_G}: key = class * 65536 + destination port. */
    public static final int PORT_CLASS_TCP = 0;
    public static final int PORT_CLASS_UDP = 1;
    public static final int PORT_CLASS_SCTP = 2;
    public static final int PORT_ENTRIES = 3 * 65536;
    public static final int PROTO_ENTRIES = 256;

    private PrefilterMaps() {
    }

    /** Generation suffix. @throws IllegalArgumentException unless gen is 0 or 1 */
    private static String gen(String base, int gen) {
        if (gen != 0 && gen != 1) {
            throw new IllegalArgumentException("generation " + gen + " (0 or 1)");
        }
        return base + "_" + gen;
    }

    public static String src4(int gen) {
        return gen("pf_src4", gen);
    }

    public static String dst4(int gen) {
        return gen("pf_dst4", gen);
    }

    public static String src6(int gen) {
        return gen("pf_src6", gen);
    }

    public static String dst6(int gen) {
        return gen("pf_dst6", gen);
    }

    /** Hash of source IPv4 prefixes of the lengths {@code pf_cfg} lists, consulted before {@code pf_src4_G}. */
    public static String snet4(int gen) {
        return gen("pf_snet4", gen);
    }

    /** Hash of destination IPv4 prefixes of the listed lengths, consulted before {@code pf_dst4_G}. */
    public static String dnet4(int gen) {
        return gen("pf_dnet4", gen);
    }

    /** Hash of source IPv6 prefixes of the listed lengths, consulted before {@code pf_src6_G}. */
    public static String snet6(int gen) {
        return gen("pf_snet6", gen);
    }

    /** Hash of destination IPv6 prefixes of the listed lengths, consulted before {@code pf_dst6_G}. */
    public static String dnet6(int gen) {
        return gen("pf_dnet6", gen);
    }

    public static String port(int gen) {
        return gen("pf_port", gen);
    }

    public static String proto(int gen) {
        return gen("pf_proto", gen);
    }

    /** The {@code pf_port_G} key of a destination port of a class. */
    public static int portKey(int portClass, int port) {
        if (portClass < 0 || portClass > 2 || port < 0 || port > 65535) {
            throw new IllegalArgumentException("port class " + portClass + ", port " + port);
        }
        return portClass * 65536 + port;
    }
}
