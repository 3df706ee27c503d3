package dev.weir.datapath;

import java.util.Optional;

/**
 * Verdict reasons of weir's datapath, mirroring {@code bpf/lib/drop_reasons.h} code for code (a
 * unit test parses the header). Codes below 128 pass the packet, codes from 128 to 249 drop it,
 * and 250 and up are bookkeeping counters of the stats maps, never a packet's verdict.
 *
 * <p>The codes are stable: new reasons are added, none is renumbered or reused.
 */
public enum DropReason {
    PASS(0, "Passed"),
    PASS_NOT_IP(1, "Passed, not IPv4/IPv6"),
    PASS_ALLOWED(2, "Passed by allow rule"),
    PASS_FRAGMENT(3, "Passed, fragment of a passed packet"),
    PASS_NDP(4, "Passed, IPv6 neighbour discovery in allowlist mode"),
    PASS_NO_ENDPOINT(5, "Passed, interface has no endpoint"),
    PASS_AUDIT(6, "Passed, policy audit mode"),
    PASS_REPLY(7, "Passed, conntrack reply"),
    PASS_ESTABLISHED(8, "Passed, established connection"),
    PASS_POLICY(9, "Passed, new connection allowed by policy"),
    PASS_SERVICE_DNAT(10, "Passed, service frontend translated to a backend"),
    PASS_SERVICE_REVNAT(11, "Passed, backend restored to the service frontend"),
    PASS_SOCKMAP(12, "Passed, same-node TCP message put into the peer socket (sockmap)"),
    PASS_XDP_REDIRECT(13, "Passed, sent to the local pod's veth by XDP_REDIRECT (established connection)"),

    DROP_DENY_RULE(128, "Denied by prefilter rule"),
    DROP_NOT_ALLOWED(129, "Not allowed by any prefilter rule"),
    DROP_RATE_LIMIT(130, "Source rate limit exceeded"),
    DROP_ETH_TRUNC(131, "Truncated Ethernet header"),
    DROP_VLAN_TRUNC(132, "Truncated VLAN tag"),
    DROP_VLAN_DEPTH(133, "Too many VLAN tags"),
    DROP_IP4_TRUNC(134, "Truncated IPv4 header"),
    DROP_IP4_HDR(135, "Invalid IPv4 header"),
    DROP_IP4_IHL(136, "Invalid IPv4 header length or options"),
    DROP_IP6_TRUNC(137, "Truncated IPv6 header"),
    DROP_IP6_HDR(138, "Invalid IPv6 header"),
    DROP_IP6_EXT(139, "Invalid IPv6 extension header"),
    DROP_IP6_EXT_DEPTH(140, "Too many IPv6 extension headers"),
    DROP_L4_TRUNC(141, "Truncated or invalid L4 header"),
    DROP_POLICY(142, "Policy denied (no allow rule)"),
    DROP_POLICY_DENY(143, "Policy denied by deny rule"),
    DROP_CT_FULL(144, "Conntrack table full"),
    DROP_FRAG_NOT_FOUND(145, "Fragment without its first fragment"),
    DROP_NO_SERVICE_BACKEND(146, "Service has no usable backend"),
    DROP_NAT_FAILED(147, "Service address translation failed"),
    DROP_LB_SRC_RANGE(148, "Source outside the LoadBalancer source ranges"),
    DROP_SNAT_FAILED(149, "No SNAT address or port for an external client"),
    DROP_TCP_SYN_FIN(150, "TCP SYN and FIN together"),
    DROP_TCP_SYN_RST(151, "TCP SYN and RST together"),
    DROP_TCP_NO_FLAGS(152, "TCP without flags (null scan)"),
    DROP_TCP_NO_ACK(153, "TCP FIN, PSH or URG without ACK"),
    DROP_PORT_ZERO(154, "TCP or UDP port 0"),
    DROP_SYNPROXY_SYN(165, "SYN answered with a SYN cookie from XDP (SYN proxy)"),
    DROP_SYNPROXY_ACK(166, "ACK to a SYN-proxied port without a valid cookie or known flow"),
    DROP_GUARD_CONNECT(167, "Workload guard: connect() to a destination not allowed"),
    DROP_GUARD_SENDMSG(168, "Workload guard: sendmsg() to a destination not allowed"),
    DROP_GUARD_BIND(169, "Workload guard: bind() of a port not allowed"),
    DROP_DSR_OPT(170, "DSR IPv4 option or IPv6 destination option with a wrong length"),
    DROP_DSR_NO_ROOM(171, "DSR option does not fit the MTU (answered with fragmentation needed / packet too big)"),
    DROP_DSR_HOP_BY_HOP(172, "IPv6 DSR: the packet has a hop-by-hop header (no room for the option before it)"),

    EVENTS_LOST(250, "Events lost (ring buffer full)"),
    EVENTS_SENT(251, "Events sent"),
    ;

    /** First drop code. */
    public static final int FIRST_DROP = 128;
    /** First bookkeeping code; not a verdict. */
    public static final int FIRST_COUNTER = 250;
    /** Entries of a reason-indexed stats map. */
    public static final int MAX = 256;
    /** The verdict shown for a drop that was a dry run (the packet passed): counters, metrics labels. */
    public static final String WOULD_DROP = "WOULD-DROP";

    private static final DropReason[] BY_CODE = new DropReason[MAX];

    static {
        for (DropReason r : values()) {
            BY_CODE[r.code] = r;
        }
    }

    private final int code;
    private final String description;

    DropReason(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The numeric code, as the datapath counts and reports it. */
    public int code() {
        return code;
    }

    /** A human description, like Cilium's drop reason strings. */
    public String description() {
        return description;
    }

    /** True for a packet verdict that drops the packet. */
    public boolean isDrop() {
        return code >= FIRST_DROP && code < FIRST_COUNTER;
    }

    /** The verdict counters and metrics show for this reason: {@code PASS}, {@code DROP} or {@code EVENT}. */
    public String verdict() {
        return isDrop() ? "DROP" : isVerdict() ? "PASS" : "EVENT";
    }

    /** True for a packet verdict (pass or drop), false for the bookkeeping counters. */
    public boolean isVerdict() {
        return code < FIRST_COUNTER;
    }

    /**
     * The reason with this code.
     *
     * @throws IllegalArgumentException for a code no reason has
     */
    public static DropReason of(int code) {
        return find(code).orElseThrow(() -> new IllegalArgumentException("unknown reason code " + code));
    }

    /** The reason with this code, if there is one (a newer datapath may know more). */
    public static Optional<DropReason> find(int code) {
        return code >= 0 && code < MAX ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }

    /** The description of a code, {@code "Unknown reason N"} for codes no reason has. */
    public static String describe(int code) {
        return find(code).map(DropReason::description).orElse("Unknown reason " + code);
    }
}
