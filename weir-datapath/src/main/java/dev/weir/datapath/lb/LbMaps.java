package dev.weir.datapath.lb;

import java.util.List;

import dev.weir.datapath.Mem;
import dev.weir.ebpf.AttachType;

/**
 * Names of the service load-balancing maps ({@code bpf/lib/lb.h}, docs/service-datapath.md), shared by
 * every object that includes the header, the socket-LB object's programs and hooks, and the constants
 * of the keys and values.
 */
public final class LbMaps {

    /** Object name of the socket-level LB for {@code Datapath.object}. */
    public static final String SOCK_OBJECT = "sock_lb";

    public static final String SVC = "lb_svc";
    public static final String SLOT = "lb_slot";
    public static final String BACKEND = "lb_backend";
    public static final String REVNAT = "lb_revnat";
    public static final String AFFINITY = "lb_affinity";
    public static final String MAGLEV = "lb_maglev";
    public static final String SOCK_REV = "lb_sock_rev";
    /** The socket LB's per-reason counters (per-CPU array of {@code weir_counter}; packets = calls, bytes 0). */
    public static final String SOCK_STATS = "lb_sock_stats";
    /**
     * The socket LB's cgroup id to endpoint id (hash, u64 to {@code struct sock_ep {u32 ep_id; u32 pad}}),
     * written by the agent for its flow events; {@code sock_lb.o} only.
     */
    public static final String SOCK_EP = "lb_sock_ep";
    /** tc_endpoint's maps that {@code sock_lb.o} also uses (flow events, identities), reused from their pins. */
    public static final List<String> SOCK_FROM_ENDPOINT = List.of("flow_events", "ipcache");

    /** The maps every LB object shares (pin once, reuse by name). */
    public static final List<String> SHARED = List.of(SVC, SLOT, BACKEND, REVNAT, AFFINITY, MAGLEV, SOCK_REV);

    /** Default sizes (the loader may override them; every object must get the same). */
    public static final int SVC_ENTRIES = 65536;
    public static final int SLOT_ENTRIES = 262144;
    public static final int BACKEND_ENTRIES = 65536;
    public static final int REVNAT_ENTRIES = 65536;
    public static final int AFFINITY_ENTRIES = 65536;
    public static final int MAGLEV_ENTRIES = 1048576;
    public static final int SOCK_REV_ENTRIES = 65536;

    /** A socket-LB program and the cgroup hook it attaches to. */
    public record Hook(String program, AttachType attachType) {
    }

    /** The socket-LB programs, each with its hook (attach every one to the same cgroup). */
    public static final List<Hook> SOCK_HOOKS = List.of(
            new Hook("weir_connect4", AttachType.CGROUP_INET4_CONNECT),
            new Hook("weir_connect6", AttachType.CGROUP_INET6_CONNECT),
            new Hook("weir_sendmsg4", AttachType.CGROUP_UDP4_SENDMSG),
            new Hook("weir_sendmsg6", AttachType.CGROUP_UDP6_SENDMSG),
            new Hook("weir_recvmsg4", AttachType.CGROUP_UDP4_RECVMSG),
            new Hook("weir_recvmsg6", AttachType.CGROUP_UDP6_RECVMSG),
            new Hook("weir_getpeer4", AttachType.CGROUP_INET4_GETPEERNAME),
            new Hook("weir_getpeer6", AttachType.CGROUP_INET6_GETPEERNAME));

    public static final int TCP = 6;
    public static final int UDP = 17;

    /** {@code lb_svc_key.scope}: every client. */
    public static final int SCOPE_ANY = 0;
    /** {@code lb_svc_key.scope}: clients on this node; preferred over {@link #SCOPE_ANY} for them. */
    public static final int SCOPE_LOCAL = 1;

    /** {@code lb_svc_val.flags}. */
    public static final int F_MAGLEV = 1;
    public static final int F_AFFINITY = 1 << 1;
    public static final int F_NODEPORT = 1 << 2;
    public static final int F_LOADBALANCER = 1 << 3;
    public static final int F_EXTERNAL_IP = 1 << 4;
    public static final int F_SRC_RANGES = 1 << 5;
    /** externalTrafficPolicy Local: an external client keeps its source (no SNAT; local backends only). */
    public static final int F_EXT_LOCAL = 1 << 6;
    /** The Service has no usable endpoint at all: count 0 is answered (ICMP port unreachable, ECONNREFUSED), not dropped. */
    public static final int F_REJECT = 1 << 7;

    /** {@code lb_backend.state}: only active backends are selectable. */
    public static final int BE_ACTIVE = 0;
    public static final int BE_TERMINATING = 1;
    public static final int BE_QUARANTINED = 2;
    public static final int BE_MAINTENANCE = 3;

    private LbMaps() {
    }

    static String hostPort(byte[] addr16, int port) {
        String host = Mem.text(addr16);
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
