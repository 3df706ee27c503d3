package dev.weir.agent.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.datapath.endpoint.NodeMapSizes;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * The agent's configuration. Immutable.
 *
 * @param node         this node's name ({@code node1})
 * @param storeDir     the store's directory, shared by the nodes of one machine or lab
 * @param runDir       the agent's run directory: {@code api.sock}, {@code agent.pid}
 * @param logFile      where the agent logs
 * @param labState     the lab's {@code lab.json}, the endpoint source
 * @param flowCapacity flows kept in the history
 * @param pollInterval how often the sync loop looks at the store and the endpoints
 * @param lbMapSizes   sizes of the service maps (loading, and {@code weir apply}'s capacity check)
 * @param kvstore      where desired state and the cluster's shared records live: the file store in
 *                     {@code storeDir} (the default) or an etcd cluster
 * @param site         this node's own facts and the cluster's service settings, from flags: nothing in them
 *                     comes from the lab's files
 * @param nodeMapSizes sizes of the node's pol, ipcache, ct and np_ct maps ({@code --map-size})
 */
public record AgentConfig(String node, Path storeDir, Path runDir, Path logFile, Path labState, int flowCapacity,
                          Duration pollInterval, LbMapSizes lbMapSizes, Kvstore kvstore, Site site,
                          NodeMapSizes nodeMapSizes) {

    /**
     * What the agent is told about its node and its cluster ({@code weir agent --netns --node-ipv4 --node-ipv6
     * --service-cidr --node-port-range --external-pool}).
     *
     * @param netns    the node's network namespace (the lab's node namespace), or null for the host's
     * @param ipv4     the node's own (underlay) IPv4 address, or null when not given
     * @param ipv6     the node's own IPv6 address, or null
     * @param services ClusterIP ranges, NodePort range, external pools ({@link ServiceConfig#defaults()} when
     *                 not given)
     * @param podCidrs this node's pod CIDRs ({@code --pod-cidr}), where the agent allocates the addresses of pods
     *                 weir-cni attaches without an IPAM plugin or asked-for addresses; empty when not given
     * @param routing  how pod traffic crosses nodes ({@link Routing#DEFAULT} when not given)
     * @param allowLocalhost whether the node's own host may always reach its pods, whatever their ingress policy
     *                 ({@code --allow-localhost always}, the default, as Cilium's: the kubelet's probes come from there)
     *                 or only as policy allows ({@code policy})
     * @param hostCgroup the cgroup of the node's own processes, where the socket-level service translation attaches
     *                 too (host-reachable services), or null for none
     * @param prefilterProtect what the prefilter must not drop unless forced ({@code --prefilter-protect}: CIDRs and
     *                 PROTO/PORT entries, comma-separated), or null
     * @param prefilterProtectDefaults whether ssh, the kvstore endpoints and the nodes' addresses are protected too
     * @param nodePortMode how external clients reach backends on other nodes ({@link NodePortMode#DEFAULT} when not
     *                 given); dsr needs native routing
     */
    public record Site(String netns, String ipv4, String ipv6, ServiceConfig services, java.util.List<Cidr> podCidrs,
                       Routing routing, boolean allowLocalhost, String hostCgroup, String prefilterProtect,
                       boolean prefilterProtectDefaults, NodePortMode nodePortMode) {
        public static final Site DEFAULTS = new Site(null, null, null, null);

        public Site(String netns, String ipv4, String ipv6, ServiceConfig services, java.util.List<Cidr> podCidrs,
                    Routing routing, boolean allowLocalhost, String hostCgroup, String prefilterProtect,
                    boolean prefilterProtectDefaults) {
            this(netns, ipv4, ipv6, services, podCidrs, routing, allowLocalhost, hostCgroup, prefilterProtect,
                    prefilterProtectDefaults, null);
        }

        public Site(String netns, String ipv4, String ipv6, ServiceConfig services, java.util.List<Cidr> podCidrs,
                    Routing routing, boolean allowLocalhost, String hostCgroup) {
            this(netns, ipv4, ipv6, services, podCidrs, routing, allowLocalhost, hostCgroup, null, true);
        }

        public Site(String netns, String ipv4, String ipv6, ServiceConfig services, java.util.List<Cidr> podCidrs,
                    Routing routing) {
            this(netns, ipv4, ipv6, services, podCidrs, routing, true, null);
        }

        public Site {
            routing = routing == null ? Routing.DEFAULT : routing;
            nodePortMode = nodePortMode == null ? NodePortMode.DEFAULT : nodePortMode;
            nodePortMode.check(routing);
            services = services == null ? ServiceConfig.defaults() : services;
            podCidrs = podCidrs == null ? java.util.List.of() : java.util.List.copyOf(podCidrs);
            for (int family : new int[] {4, 6}) {
                if (podCidrs.stream().filter(c -> c.family() == family).count() > 1) {
                    throw new IllegalArgumentException("--pod-cidr: one CIDR per family, not " + podCidrs);
                }
            }
        }

        public Site(String netns, String ipv4, String ipv6, ServiceConfig services) {
            this(netns, ipv4, ipv6, services, null, null);
        }
    }

    /**
     * The kvstore: {@code file} (the directory {@code storeDir}, shared by the agents of one machine) or
     * {@code etcd} (an etcd cluster at {@code endpoints}, comma-separated client URLs, shared by every node).
     * {@code leaseTtl}: how long a node's records (its endpoints among them) outlive its agent.
     */
    public record Kvstore(String kind, String endpoints, Duration leaseTtl) {
        /** {@code weir agent --kvstore-lease-ttl}'s default (declared before {@link #FILE}, which uses it). */
        public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
        public static final Kvstore FILE = new Kvstore("file", null);

        public Kvstore(String kind, String endpoints) {
            this(kind, endpoints, null);
        }

        public Kvstore {
            leaseTtl = leaseTtl == null ? DEFAULT_LEASE_TTL : leaseTtl;
            if (leaseTtl.toSeconds() < 2) {
                throw new IllegalArgumentException("--kvstore-lease-ttl must be at least 2 s, not " + leaseTtl.toSeconds() + " s");
            }
            Objects.requireNonNull(kind, "kind");
            if (!kind.equals("file") && !kind.equals("etcd")) {
                throw new IllegalArgumentException("unknown kvstore '" + kind + "' (file or etcd)");
            }
            if (kind.equals("etcd") && (endpoints == null || endpoints.isBlank())) {
                throw new IllegalArgumentException("--kvstore etcd needs --kvstore-endpoints http://HOST:PORT[,...]");
            }
            if (kind.equals("file") && endpoints != null && !endpoints.isBlank()) {
                throw new IllegalArgumentException("--kvstore-endpoints is for --kvstore etcd");
            }
        }

        public boolean etcd() {
            return kind.equals("etcd");
        }

        /** The same kvstore with another lease TTL. */
        public Kvstore withLeaseTtl(Duration ttl) {
            return new Kvstore(kind, endpoints, ttl);
        }
    }

    public static final Path DEFAULT_STORE = Path.of("/var/lib/weir/store");
    public static final Path RUN_ROOT = Path.of("/run/weir");
    public static final Path DEFAULT_LAB_STATE = Path.of("/run/weir/lab/lab.json");

    public AgentConfig {
        Objects.requireNonNull(node, "node");
        if (!node.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("bad node name '" + node + "' (lower-case letters, digits and '-')");
        }
        if (node.equals("lab")) {
            throw new IllegalArgumentException("'lab' is not a node name: /run/weir/lab belongs to the lab");
        }
        storeDir = storeDir == null ? DEFAULT_STORE : storeDir;
        runDir = runDir == null ? RUN_ROOT.resolve(node) : runDir;
        logFile = logFile == null ? runDir.resolve("agent.log") : logFile;
        labState = labState == null ? DEFAULT_LAB_STATE : labState;
        flowCapacity = flowCapacity <= 0 ? 8192 : flowCapacity;
        pollInterval = pollInterval == null ? Duration.ofMillis(100) : pollInterval;
        lbMapSizes = lbMapSizes == null ? LbMapSizes.DEFAULTS : lbMapSizes;
        kvstore = kvstore == null ? Kvstore.FILE : kvstore;
        site = site == null ? Site.DEFAULTS : site;
        nodeMapSizes = nodeMapSizes == null ? NodeMapSizes.DEFAULTS : nodeMapSizes;
    }

    /** With the default sizes of the node's maps. */
    public AgentConfig(String node, Path storeDir, Path runDir, Path logFile, Path labState, int flowCapacity,
                       Duration pollInterval, LbMapSizes lbMapSizes, Kvstore kvstore, Site site) {
        this(node, storeDir, runDir, logFile, labState, flowCapacity, pollInterval, lbMapSizes, kvstore, site, null);
    }

    /** With default site settings. */
    public AgentConfig(String node, Path storeDir, Path runDir, Path logFile, Path labState, int flowCapacity,
                       Duration pollInterval, LbMapSizes lbMapSizes, Kvstore kvstore) {
        this(node, storeDir, runDir, logFile, labState, flowCapacity, pollInterval, lbMapSizes, kvstore, null);
    }

    /** With the file store. */
    public AgentConfig(String node, Path storeDir, Path runDir, Path logFile, Path labState, int flowCapacity,
                       Duration pollInterval, LbMapSizes lbMapSizes) {
        this(node, storeDir, runDir, logFile, labState, flowCapacity, pollInterval, lbMapSizes, null);
    }

    /** With the default service map sizes. */
    public AgentConfig(String node, Path storeDir, Path runDir, Path logFile, Path labState, int flowCapacity,
                       Duration pollInterval) {
        this(node, storeDir, runDir, logFile, labState, flowCapacity, pollInterval, null, null);
    }

    /** Defaults for a node: {@code /var/lib/weir/store}, {@code /run/weir/<node>}, the lab's state. */
    public static AgentConfig defaults(String node) {
        return new AgentConfig(node, null, null, null, null, 0, null);
    }

    /**
     * The prefilter's lockout guard from the site's settings and the kvstore's endpoints.
     *
     * @throws IllegalArgumentException naming a {@code --prefilter-protect} entry that does not parse
     */
    public dev.weir.agent.prefilter.LockoutGuard lockoutGuard() {
        return dev.weir.agent.prefilter.LockoutGuard.of(site.prefilterProtect(), site.prefilterProtectDefaults(),
                kvstore.etcd() ? kvstore.endpoints() : null);
    }

    public Path socket() {
        return runDir.resolve("api.sock");
    }

    public Path pidFile() {
        return runDir.resolve("agent.pid");
    }

    /** Written when the agent stops on a fatal error (what and when); removed when an agent starts. */
    public Path failedFile() {
        return runDir.resolve("agent.failed");
    }
}
