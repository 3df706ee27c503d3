package dev.weir.datapath.sockmap;

import java.util.List;

/**
 * Names in {@code sockmap.o} (bpf/sockmap.c, docs/policy-datapath.md "Sockmap"): same-node TCP between local
 * pods, redirected socket to socket. Constants only.
 */
public final class SockmapMaps {

    /** Object name for {@code Datapath.object}. */
    public static final String OBJECT = "sockmap";

    /** The sockhash of established sockets between two local pods, keyed by {@link SockKey}. */
    public static final String SOCKS = "sockmap_socks";
    /** A local pod's address (16 bytes, IPv4 v4-mapped) to its {@link SockEp}; written by the agent. */
    public static final String EP = "sockmap_ep";
    /** Per-socket storage: whether a socket's messages go to the stack for good (internal). */
    public static final String SK = "sockmap_sk";
    /** Per-CPU counters per reason: {@code PASS_SOCKMAP} redirected messages, {@code PASS} messages left to the stack. */
    public static final String STATS = "sockmap_stats";
    /** tc_endpoint's maps the sk_msg program reads (conntrack, policy, endpoints, lifetimes), reused from their pins. */
    public static final List<String> FROM_ENDPOINT = List.of("ep_by_ifindex", "pol", "ct", "ep_cfg");

    /** The maps the object pins itself. */
    public static final List<String> OWN = List.of(SOCKS, EP, SK, STATS);

    /** The cgroup sock_ops program, attached to every local pod's cgroup. */
    public static final String SOCKOPS = "weir_sockops";
    /** The sk_msg verdict program, attached to {@link #SOCKS}. */
    public static final String SK_MSG = "weir_sk_msg";

    public static final int SOCKS_ENTRIES = 65536;
    public static final int EP_ENTRIES = 8192;

    private SockmapMaps() {
    }
}
