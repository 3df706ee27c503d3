package dev.weir.cli.agent;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import dev.weir.agent.datapath.SocketLbMode;
import dev.weir.agent.runtime.Agent;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.agent.runtime.AgentLog;
import dev.weir.agent.runtime.Components;
import dev.weir.cli.UserError;
import dev.weir.datapath.endpoint.NodeMapSizes;
import dev.weir.datapath.lb.LbMapSizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir agent --node NAME}: runs one node's agent in the foreground until SIGTERM or SIGINT (a
 * shutdown hook stops its components in reverse). {@code weir lab up} starts one per node, detached.
 */
@Command(name = "agent", header = "Run a node's agent (started by weir lab up).", mixinStandardHelpOptions = true,
        description = {"Run a node's agent: store sync, endpoint discovery, policy, flows, and the local API on",
                "/run/weir/<node>/api.sock (mode 0600). Runs until SIGTERM."})
public final class AgentCommand implements Callable<Integer> {

    @Option(names = "--node", required = true, description = "This node's name, e.g. node1.")
    String node;

    @Option(names = "--state-dir", description = "The store directory, shared by the nodes (default: /var/lib/weir/store).")
    Path stateDir;

    @Option(names = "--run-dir", description = "Run directory for api.sock and agent.pid (default: /run/weir/<node>).")
    Path runDir;

    @Option(names = "--log-file", description = "Log file (default: <run-dir>/agent.log).")
    Path logFile;

    @Option(names = "--lab-state", description = "The lab's state file, the endpoint source (default: /run/weir/lab/lab.json).")
    Path labState;

    @Option(names = "--flow-capacity", defaultValue = "8192", description = "Flows kept in the history (default: ${DEFAULT-VALUE}).")
    int flowCapacity;

    @Option(names = "--socket-lb", defaultValue = "auto", paramLabel = "auto|on|off",
            description = {"Socket-level service translation on the cgroup of every local pod, besides TC's per-packet",
                    "translation: auto = on when the kernel has the cgroup sock_addr hooks; on = fail to start",
                    "without them; off = TC only (links an earlier agent attached are detached). Default: ${DEFAULT-VALUE}."})
    SocketLbMode socketLb;

    @Option(names = "--sockmap", description = {"TCP between two pods of this node goes socket to socket (sock_ops + sk_msg),",
            "skipping TCP/IP, the veths and TC, while conntrack and both pods' policy allow the connection;",
            "without it, links and maps an earlier agent made for it are removed. See docs/policy-datapath.md."})
    boolean sockmap;

    @Option(names = "--lb-map-size", paramLabel = "MAP=ENTRIES",
            description = {"Size of a service map, repeatable: lb_svc, lb_slot, lb_backend, lb_revnat, lb_affinity,",
                    "lb_maglev, lb_sock_rev (defaults 65536, 262144, 65536, 65536, 65536, 1048576, 65536).",
                    "Every agent of a cluster should use the same sizes: weir apply refuses a state that would not fit."})
    List<String> lbMapSizes;

    @Option(names = "--map-size", paramLabel = "MAP=ENTRIES",
            description = {"Size of a policy or conntrack map, repeatable: pol, ipcache, ct, np_ct (defaults 65536",
                    "each), np_frag (NodePort fragments, default 8192). The node's pinned maps keep the size they were made with: restarting with another size",
                    "fails with a named error until the node's pins are removed (weir uninstall)."})
    List<String> mapSizes;

    @Option(names = "--kvstore", defaultValue = "file", paramLabel = "file|etcd",
            description = {"Where desired state and the nodes' shared records live: file = the --state-dir directory,",
                    "shared by the agents of one machine; etcd = an etcd cluster (--kvstore-endpoints), shared by",
                    "every node. Default: ${DEFAULT-VALUE}."})
    String kvstore;

    @Option(names = "--kvstore-endpoints", paramLabel = "URL[,URL...]",
            description = "The etcd members' client URLs, e.g. http://127.0.0.1:23790,http://127.0.0.1:23792.")
    String kvstoreEndpoints;

    @Option(names = "--kvstore-lease-ttl", defaultValue = "30", paramLabel = "SECONDS",
            description = {"With etcd: how long this node's records (its endpoints among them) outlive the agent. A",
                    "restarted agent takes them over within that time; after it, every other node forgets this",
                    "node's endpoints. Default: ${DEFAULT-VALUE}."})
    int kvstoreLeaseTtl;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "This node's network namespace, when the node is one (the lab's weir-<node>); default: the host's.")
    String netns;

    @Option(names = "--node-ipv4", paramLabel = "ADDR", description = "This node's own (underlay) IPv4 address.")
    String nodeIpv4;

    @Option(names = "--node-ipv6", paramLabel = "ADDR", description = "This node's own (underlay) IPv6 address.")
    String nodeIpv6;

    @Option(names = "--service-cidr", paramLabel = "CIDR",
            description = {"Where ClusterIPs lie, one per family, repeatable (default: 10.96.0.0/16 and",
                    "fd00:10:96::/112). Every agent of a cluster should be given the same."})
    List<String> serviceCidrs;

    @Option(names = "--node-port-range", paramLabel = "FROM-TO", description = "The NodePort range (default: 30000-32767).")
    String nodePortRange;

    @Option(names = "--external-pool", paramLabel = "CIDR",
            description = "Where LoadBalancer ingress IPs and externalIPs may lie, repeatable (default: anywhere).")
    List<String> externalPools;

    @Option(names = "--pod-cidr", paramLabel = "CIDR",
            description = {"This node's pod CIDR, one per family, repeatable: weir-cni gives pods the lowest free address",
                    "of each when the network configuration has no ipam section and asks for no address."})
    List<String> podCidrs;

    @Option(names = "--routing", defaultValue = "tunnel", paramLabel = "tunnel|native",
            description = {"How pod traffic crosses nodes: tunnel = VXLAN (UDP 8472, the source's identity in the VNI),",
                    "native = a route per remote pod via its node. Default: ${DEFAULT-VALUE}. docs/routing.md."})
    String routing;

    @Option(names = "--nodeport-mode", defaultValue = "snat", paramLabel = "snat|dsr",
            description = {"How a NodePort, LoadBalancer or external IP reaches a backend on another node: snat = the",
                    "client is SNATed to this node and the reply comes back through it; dsr = direct server return",
                    "(IPv4; IPv6 stays snat): the client's address is kept, the service address travels in an IPv4",
                    "option and the backend's node answers the client directly. dsr needs --routing native.",
                    "Default: ${DEFAULT-VALUE}. docs/service-datapath.md."})
    String nodePortMode;

    @Option(names = "--allow-localhost", defaultValue = "always", paramLabel = "always|policy",
            description = {"always: the node's own host reaches its pods whatever their ingress policy (the kubelet's",
                    "probes come from there; flows name the rule reserved/allow-localhost; deny rules still win);",
                    "policy: only as policy allows (entity host). Default: ${DEFAULT-VALUE}, as Cilium's."})
    String allowLocalhost;

    @Option(names = "--host-cgroup", paramLabel = "PATH",
            description = {"The cgroup (v2) of the node's own processes: the socket-level service translation attaches",
                    "there too, so that they reach ClusterIPs (host-reachable services). Default: none."})
    String hostCgroup;

    @Option(names = "--prefilter-protect", paramLabel = "CIDR|PROTO/PORT[,...]",
            description = {"Traffic the XDP prefilter must not drop unless forced (the lockout guard): a CIDR protects",
                    "what comes from it, PROTO/PORT what goes to that port (e.g. 10.0.0.0/8,tcp/22). weir apply and",
                    "weir prefilter add|del|set refuse a change that would drop it, unless --force or spec.force: true."})
    String prefilterProtect;

    @Option(names = "--prefilter-protect-defaults", defaultValue = "true", arity = "1", paramLabel = "true|false",
            description = {"Also protect ssh (tcp/22), every node's address and the etcd endpoints' addresses",
                    "(default: ${DEFAULT-VALUE})."})
    boolean prefilterProtectDefaults;

    @Option(names = "--metrics-address", defaultValue = "127.0.0.1:9962", paramLabel = "HOST:PORT|off",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (default: ${DEFAULT-VALUE}, as Cilium's"
                    + " agent; off: none).")
    String metricsAddress;

    @Option(names = "--flow-metrics", defaultValue = "", paramLabel = "flow,drop,port-distribution",
            description = {"Flows as metrics too, as Hubble's (opt-in; default none): flow (weir_flows_processed_total",
                    "{type,verdict,protocol}), drop (weir_drop_total{reason,protocol}), port-distribution",
                    "(weir_port_distribution_total{port,protocol}, at most 1000 ports). docs/metrics.md."})
    String flowMetrics;

    private static java.util.Set<dev.weir.agent.metrics.FlowMetrics.Kind> flowMetrics(String list) {
        try {
            return dev.weir.agent.metrics.FlowMetrics.Kind.parse(list);
        } catch (IllegalArgumentException e) {
            throw new UserError("--flow-metrics: " + e.getMessage());
        }
    }

    private static String address(String text, String flag) {
        if (text == null) {
            return null;
        }
        try {
            dev.weir.agent.net.Cidr.parseAddress(text, flag);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(flag + ": '" + text + "' is not an address");
        }
        return text;
    }

    private static boolean localhost(String text) {
        return switch (text) {
            case "always" -> true;
            case "policy" -> false;
            default -> throw new IllegalArgumentException("--allow-localhost must be always or policy, not '" + text + "'");
        };
    }

    private static List<dev.weir.agent.net.Cidr> podCidrs(List<String> texts) {
        if (texts == null) {
            return List.of();
        }
        List<dev.weir.agent.net.Cidr> cidrs = new java.util.ArrayList<>();
        for (String t : texts) {
            try {
                cidrs.add(dev.weir.agent.net.Cidr.parse(t));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--pod-cidr: '" + t + "' is not a CIDR");
            }
        }
        return cidrs;
    }

    @Override
    public Integer call() throws Exception {
        LbMapSizes sizes;
        NodeMapSizes nodeSizes;
        try {
            sizes = LbMapSizes.parse(lbMapSizes);
            nodeSizes = NodeMapSizes.parse(mapSizes);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        AgentConfig.Kvstore kv;
        try {
            kv = new AgentConfig.Kvstore(kvstore, kvstoreEndpoints, java.time.Duration.ofSeconds(kvstoreLeaseTtl));
            if (kv.etcd()) {
                dev.weir.agent.store.etcd.Etcd.Config.parse(kvstoreEndpoints);
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        AgentConfig.Site site;
        try {
            site = new AgentConfig.Site(netns, address(nodeIpv4, "--node-ipv4"), address(nodeIpv6, "--node-ipv6"),
                    dev.weir.agent.service.ServiceConfig.of(serviceCidrs, nodePortRange, externalPools), podCidrs(podCidrs),
                    dev.weir.agent.runtime.Routing.parse(routing), localhost(allowLocalhost), hostCgroup,
                    prefilterProtect, prefilterProtectDefaults, dev.weir.agent.runtime.NodePortMode.parse(nodePortMode));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        dev.weir.agent.metrics.AgentMetrics.Config metrics;
        try {
            metrics = metricsAddress.equals("off") ? null : new dev.weir.agent.metrics.AgentMetrics.Config(
                    dev.weir.agent.metrics.AgentMetrics.Address.parse(metricsAddress),
                    flowMetrics(flowMetrics));
        } catch (IllegalArgumentException e) {
            throw new UserError("--metrics-address: " + e.getMessage());
        }
        AgentConfig config = new AgentConfig(node, stateDir, runDir, logFile, labState, flowCapacity, null, sizes, kv, site,
                nodeSizes);
        try {
            config.lockoutGuard();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        try (AgentLog log = new AgentLog(config.logFile(), System.console() != null ? System.err : null)) {
            log.accept("weir agent for " + node + " (pid " + ProcessHandle.current().pid() + "), store "
                    + (kv.etcd() ? "etcd " + kv.endpoints() : config.storeDir()) + ", socket " + config.socket() + ", socket LB " + socketLb
                    + (sockmap ? ", sockmap" : ""));
            Agent<?> agent = Agent.standard(config, socketLb, sockmap, metrics, log);
            Thread hook = new Thread(() -> {
                log.accept("signal: stopping");
                agent.stop();
                log.accept("stopped");
            }, "weir-agent-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                agent.start();
            } catch (Components.ComponentStartException e) {
                log.accept("agent failed to start: " + e.getMessage());
                Runtime.getRuntime().removeShutdownHook(hook);
                agent.stop();
                throw e;
            }
            log.accept("agent ready");
            agent.awaitStop();
            if (agent.failure().isPresent()) {
                log.accept("agent stopped on a fatal error (" + config.failedFile() + "); exit 1");
                return 1;
            }
            return 0;
        }
    }
}
