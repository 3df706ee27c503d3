package dev.weir.datapath.guard;

import java.util.List;

import dev.weir.ebpf.AttachType;

/**
 * The workload guard's object ({@code bpf/sock_guard.c}, docs/workload-guard.md): its programs with their
 * hooks, its maps, and the constants of {@code bpf/lib/guard.h}.
 */
public final class GuardMaps {

    /** Object name for {@code Datapath.object}. */
    public static final String OBJECT = "sock_guard";
    /** Cgroup id (u64) to {@link GuardVal}: what guards the pod of that cgroup. */
    public static final String PODS = "guard_pods";
    /** Per-CPU counters by reason (packets = calls). */
    public static final String STATS = "guard_stats";
    /** {@link GuardPeerKey} to u8: the identities each {@code toEndpoints} rule selects (present: selected). */
    public static final String PEERS = "guard_peers";
    /**
     * Sockets whose {@code bind()} asked for port 0 (by socket cookie), from {@code bind4/6} to {@code post_bind4/6}:
     * pinned, so that programs of an earlier load still attached to a pod and this load's agree.
     */
    public static final String BIND0 = "guard_bind0";
    /** tc_endpoint's maps the guard also uses (flow events, identities), reused from their pins. */
    public static final List<String> FROM_ENDPOINT = List.of("flow_events", "ipcache");

    /** Guards that select one pod, each a set of its value. */
    public static final int MAX_SETS = 8;
    /** Rules of one pod's guards together (one guard has at most {@link #MAX_GUARD_RULES}). */
    public static final int MAX_RULES = 64;
    /** Port ranges of one pod's guards together (one guard has at most {@link #MAX_GUARD_BIND}). */
    public static final int MAX_BIND = 32;
    /** Rules of one guard. */
    public static final int MAX_GUARD_RULES = 32;
    /** Port ranges of one guard. */
    public static final int MAX_GUARD_BIND = 16;

    public static final int ALLOW = 1;
    public static final int DENY = 2;

    public static final int BY_PREFIX = 0;
    public static final int BY_IDENTITY = 1;
    public static final int BY_WORLD = 2;
    /** The destination's identity is in {@link #PEERS} under the rule's id. */
    public static final int BY_PEERS = 3;

    public static final int ENFORCE = 0;
    public static final int AUDIT = 1;

    /** A program and the hook it is attached to. */
    public record Hook(String program, AttachType attachType) {
    }

    /** The guard's programs (attach every one to the same cgroup, after the socket LB's). */
    public static final List<Hook> HOOKS = List.of(
            new Hook("weir_guard_conn4", AttachType.CGROUP_INET4_CONNECT),
            new Hook("weir_guard_conn6", AttachType.CGROUP_INET6_CONNECT),
            new Hook("weir_guard_send4", AttachType.CGROUP_UDP4_SENDMSG),
            new Hook("weir_guard_send6", AttachType.CGROUP_UDP6_SENDMSG),
            new Hook("weir_guard_bind4", AttachType.CGROUP_INET4_BIND),
            new Hook("weir_guard_bind6", AttachType.CGROUP_INET6_BIND),
            new Hook("weir_guard_pbind4", AttachType.CGROUP_INET4_POST_BIND),
            new Hook("weir_guard_pbind6", AttachType.CGROUP_INET6_POST_BIND));

    private GuardMaps() {
    }
}
