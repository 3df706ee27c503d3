package dev.weir.cli.diagnose;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code weir diagnose} looked at, read once ({@link FactsReader}) and then judged by the checks
 * ({@link Checks}) without touching the system again, so that every check can be tested on fixed facts.
 * Immutable.
 *
 * @param cliVersion this CLI's version
 * @param now        when the facts were read
 * @param agents     this machine's agents, by node
 * @param records    the node records the agents see (etcd; empty with the file store)
 * @param hooks      BPF programs on the nodes' interfaces and the local pods' cgroups
 * @param routes     each node's route to every pod of the other nodes
 * @param mtus       MTUs of the nodes' interfaces
 * @param needs      what weir's BPF objects need of the kernel, with the probe's answer
 * @param maps       weir's pinned maps whose fill the kernel can count
 */
public record Facts(String cliVersion, Instant now, List<Agent> agents, List<NodeRecord> records, List<Hook> hooks,
                    List<Route> routes, List<Mtu> mtus, List<Need> needs, List<MapFill> maps) {

    public Facts {
        agents = List.copyOf(agents);
        records = List.copyOf(records);
        hooks = List.copyOf(hooks);
        routes = List.copyOf(routes);
        mtus = List.copyOf(mtus);
        needs = List.copyOf(needs);
        maps = List.copyOf(maps);
    }

    /** The agents that answered. */
    public List<Agent> upAgents() {
        return agents.stream().filter(Agent::up).toList();
    }

    /**
     * One agent as its API and metrics show it.
     *
     * @param up            it answered
     * @param error         why not, or its sync error
     * @param cpuCores      CPU used over the sample, in cores (0.5 = half a core), or -1 when unknown
     * @param cpuSeconds    CPU used since it started
     * @param syncSeconds   summed compile and dataplane seconds of every sync, by step
     * @param syncCount     syncs counted by the metrics
     * @param pressure      {@code weir_bpf_map_pressure} by map
     * @param drops         {@code weir_drop_count_total} by reason (directions summed)
     * @param ctEntries     conntrack entries now
     * @param ctCapacity    conntrack capacity, 0 when unknown
     */
    public record Agent(String node, boolean up, String error, String netns, String version, long pid,
                        String startedAt, long kernelLost, long followerLost, String serviceLb, double cpuCores,
                        double cpuSeconds, Map<String, Double> syncSeconds, long syncCount,
                        Map<String, Double> pressure, Map<String, Double> drops, int ctEntries, int ctCapacity,
                        List<Pod> pods, List<Service> services, List<String> lbFrontends, Prefilter prefilter) {
        public Agent {
            syncSeconds = Map.copyOf(syncSeconds);
            pressure = Map.copyOf(pressure);
            drops = Map.copyOf(drops);
            pods = List.copyOf(pods);
            services = List.copyOf(services);
            lbFrontends = List.copyOf(lbFrontends);
        }

        /** An agent that did not answer. */
        public static Agent down(String node, String error) {
            return new Agent(node, false, error, null, null, 0, null, 0, 0, null, -1, 0, Map.of(), 0, Map.of(), Map.of(),
                    0, 0, List.of(), List.of(), List.of(), Prefilter.NONE);
        }
    }

    /**
     * A pod as a node's agent enforces it.
     *
     * @param local   whether it runs on the agent's node
     * @param entries its policy entries (for the egress-enforced local pods; empty otherwise)
     */
    public record Pod(String key, String node, boolean local, String iface, String cgroup, String ipv4, String ipv6,
                      boolean egressEnforced, List<Entry> entries) {
        public Pod {
            entries = List.copyOf(entries);
        }
    }

    /**
     * One policy entry as {@code weir policy get} shows it.
     *
     * @param protocol IP protocol number, null for any
     * @param ports    {@code 53}, {@code 1-1024}, or null for any
     * @param policy   {@code Kind ns/name rule}, or empty
     */
    public record Entry(String direction, int peerIdentity, Integer family, Integer protocol, String ports,
                        String action, String policy) {
    }

    /** A service frontend as the agent's view has it ({@code weir service list}): backends {@code addr:port state (pod)}. */
    public record Service(String service, String frontend, String protocol, List<String> backends) {
        public Service {
            backends = List.copyOf(backends);
        }
    }

    /**
     * The node's XDP prefilter.
     *
     * @param attachments interface to XDP mode
     * @param drops       packets dropped, by reason
     */
    public record Prefilter(Map<String, String> attachments, Map<String, Long> drops) {
        public static final Prefilter NONE = new Prefilter(Map.of(), Map.of());

        public Prefilter {
            attachments = Map.copyOf(attachments);
            drops = Map.copyOf(drops);
        }
    }

    /** A node record (etcd): versions and heartbeats. */
    public record NodeRecord(String name, String host, String version, String heartbeat) {
    }

    /**
     * One program on a hook.
     *
     * @param target an interface name or a cgroup path
     * @param hook   {@code xdp}, {@code tcx/ingress}, {@code tc/egress}, {@code cgroup/connect4}, ...
     * @param weir   attached by weir (through one of its pinned links)
     * @param weirs  whether weir itself uses the target (a pod's interface or cgroup, or an interface carrying a
     *               weir program)
     */
    public record Hook(String node, String netns, String target, String hook, int progId, String progName,
                       boolean weir, boolean weirs) {
    }

    /**
     * A node's route to a pod of another node.
     *
     * @param via how the route reads ({@code via 192.168.100.2 dev eth0}), or null when there is none
     */
    public record Route(String node, String pod, String podNode, String address, String via) {
    }

    /** An interface's MTU in a node's namespace; {@code underlay} for the node's way to the others. */
    public record Mtu(String node, String iface, int mtu, boolean underlay) {
    }

    /**
     * What one of weir's BPF objects needs of the kernel.
     *
     * @param required the agent cannot run without it (else a fallback exists)
     * @param status   the probe's answer: supported, unsupported, inconclusive
     */
    public record Need(String object, String feature, boolean required, String status, String detail) {
    }

    /** A pinned map's fill, counted by the kernel. */
    public record MapFill(String node, String name, String type, int entries, int maxEntries) {
    }
}
