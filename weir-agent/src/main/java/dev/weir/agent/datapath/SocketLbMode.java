package dev.weir.agent.datapath;

/**
 * Whether the agent translates services at the socket ({@code sock_lb.o} on every local pod's cgroup) as
 * well as per packet at TC (always). Lower-case constants: they are the command line's values
 * ({@code weir agent --socket-lb auto|on|off}).
 */
public enum SocketLbMode {
    /** On when the kernel has the hooks (probed), off otherwise. */
    auto,
    /** On; the agent fails to start when the kernel lacks the hooks. */
    on,
    /** Off: links a previous agent pinned are detached; TC translates everything. */
    off
}
