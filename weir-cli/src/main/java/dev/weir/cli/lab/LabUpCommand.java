package dev.weir.cli.lab;

import java.time.Duration;
import java.util.List;

import dev.weir.agent.datapath.SocketLbMode;
import dev.weir.agent.prefilter.PrefilterScopes;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.cli.UserError;
import dev.weir.cli.agent.LabAgents;
import dev.weir.datapath.endpoint.NodeMapSizes;
import dev.weir.datapath.lb.LbMapSizes;
import dev.weir.lab.KvstoreConfig;
import dev.weir.lab.Lab;
import dev.weir.lab.LabConfig;
import dev.weir.lab.model.LabNames;
import dev.weir.lab.model.NetpolModel;
import dev.weir.lab.model.NodeSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir lab up}: builds the lab (removing a leftover first), waits until every pod is ready, starts
 * the etcd members of {@code --kvstore etcd}, then a weir agent per node. A failure takes down everything
 * that started (the error says why).
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Build the lab (a leftover lab, its weir agents and etcd members are removed first) and wait "
                + "until every pod agent is ready; with --kvstore etcd start the etcd members and wait until each is "
                + "healthy; then start a weir agent per node (log /run/weir/lab/logs/agent-<node>.log, store "
                + "/var/lib/weir/lab/store) and wait until each answers.",
                "If anything fails, everything that started is removed again and the error says why."})
final class LabUpCommand implements Runnable {

    @Option(names = "--model", defaultValue = "netpol", description = "The lab model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--nodes", defaultValue = "2",
            description = "Number of nodes, 1 to " + NetpolModel.MAX_NODES + "; 1 puts every pod on node1, nodes after "
                    + "node2 hold no pods (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--ready-timeout", defaultValue = "60s", description = "How long to wait for the pod agents (default: ${DEFAULT-VALUE}).")
    String readyTimeout;

    @Option(names = "--socket-lb", defaultValue = "auto", paramLabel = "auto|on|off",
            description = {"The weir agents' socket-level service translation (weir agent --socket-lb): auto, on or off",
                    "(TC only). Default: ${DEFAULT-VALUE}; `weir lab restart-agents --socket-lb` changes it."})
    SocketLbMode socketLb;

    @Option(names = "--sockmap", description = {"The weir agents accelerate TCP between pods of one node socket to socket",
            "(weir agent --sockmap); `weir lab restart-agents [--sockmap]` changes it."})
    boolean sockmap;

    @Option(names = "--lb-map-size", paramLabel = "MAP=ENTRIES",
            description = {"Size of a service map for every agent, repeatable (see weir agent --help), e.g.",
                    "lb_backend=200000 for 10,000 services of 10 backends."})
    List<String> lbMapSizes;

    @Option(names = "--map-size", paramLabel = "MAP=ENTRIES",
            description = {"Size of a policy or conntrack map for every agent, repeatable (pol, ipcache, ct, np_ct, np_frag;",
                    "see weir agent --help), e.g. ct=262144."})
    List<String> mapSizes;

    @Option(names = "--kvstore", defaultValue = KvstoreConfig.FILE, paramLabel = "file|etcd",
            description = "The weir agents' kvstore (weir agent --kvstore): file = the store directory "
                    + "/var/lib/weir/lab/store; etcd = real etcd members on 127.0.0.1, started before the agents "
                    + "(client ports 23790, 23792, ..., each peer port one above; data on tmpfs in "
                    + "/dev/shm/weir-lab-etcd/<member>; logs /run/weir/lab/logs/<member>.log), every member's URL "
                    + "in the agents' --kvstore-endpoints. Default: ${DEFAULT-VALUE}.")
    String kvstore;

    @Option(names = "--etcd-members", paramLabel = "N",
            description = "With --kvstore etcd: how many members, 1 to " + KvstoreConfig.MAX_MEMBERS
                    + " (default: " + KvstoreConfig.DEFAULT_MEMBERS + ").")
    Integer etcdMembers;

    @Option(names = "--kvstore-lease-ttl", paramLabel = "SECONDS",
            description = "With --kvstore etcd: the weir agents' lease TTL (weir agent --kvstore-lease-ttl): how long a "
                    + "node's records and endpoints outlive its agent in etcd; at least 2 (default: the agent's, 30).")
    Integer kvstoreLeaseTtl;

    @Option(names = "--routing", paramLabel = "tunnel|native",
            description = {"How pod traffic crosses nodes, done by the weir agents (weir agent --routing): tunnel = VXLAN",
                    "(the source's identity in the VNI), native = weir installs a route per remote pod via its node. The",
                    "lab's nodes route no pod address themselves. Default: tunnel with two or more nodes, native with one."})
    String routing;

    @Option(names = "--nodeport-mode", paramLabel = "snat|dsr",
            description = {"How the weir agents send NodePort traffic to a backend on another node (weir agent",
                    "--nodeport-mode): snat (the default) or dsr, direct server return, which needs --routing native."})
    String nodePortMode;

    @Override
    public void run() {
        Duration ready = Durations.parse(readyTimeout, "--ready-timeout");
        LbMapSizes sizes;
        NodeMapSizes nodeSizes;
        KvstoreConfig kv;
        Duration leaseTtl;
        LabConfig config;
        try {
            sizes = LbMapSizes.parse(lbMapSizes);
            nodeSizes = NodeMapSizes.parse(mapSizes);
            kv = KvstoreConfig.of(kvstore, etcdMembers, LabAgents.LAB_STORE.toString());
            if (kvstoreLeaseTtl != null && !KvstoreConfig.ETCD.equals(kvstore)) {
                throw new IllegalArgumentException("--kvstore-lease-ttl is for --kvstore etcd");
            }
            leaseTtl = leaseTtl();
            String mode = routing != null ? routing : nodes > 1 ? "tunnel" : "native";
            if (!LabConfig.ROUTINGS.contains(mode)) {
                throw new IllegalArgumentException("--routing must be tunnel or native, not '" + mode + "'");
            }
            if (nodePortMode != null) {
                dev.weir.agent.runtime.NodePortMode.parse(nodePortMode).check(dev.weir.agent.runtime.Routing.parse(mode));
            }
            config = new LabConfig(model, nodes, ready, kv).withWeir(mode);
            NetpolModel.build(nodes);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        // a new lab starts clean: no weir agents, store, prefilter pins or rules left from an earlier lab
        LabAgents.stopAll(LabDownCommand.currentNodes(), Duration.ofSeconds(5), Progress::line);
        PrefilterScopes.system().purge(LabNames::isLabNetns);
        Lab lab = Lab.up(config, Progress::line);
        try {
            // one weir agent per node, in the host namespace (it must not keep a lab namespace busy)
            LabAgents.start(lab.model().nodes().stream().map(NodeSpec::name).toList(), ready, socketLb, new LabAgents.Settings(sizes,
                    LabAgents.kvstoreOf(lab.kvstore()).withLeaseTtl(leaseTtl), nodeSizes, nodePortMode, sockmap), Progress::line);
            // each node's runtime creates its pods through weir-cni, which asks the node's agent
            lab.attachPods(LabCni.install(lab), ready, Progress::line);
        } catch (RuntimeException e) {
            Progress.line("lab up failed (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                    + "); removing what was built");
            try {
                LabDownCommand.down();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** The agents' lease TTL: {@code --kvstore-lease-ttl}, or the agent's default. */
    private Duration leaseTtl() {
        if (kvstoreLeaseTtl == null) {
            return AgentConfig.Kvstore.DEFAULT_LEASE_TTL;
        }
        if (kvstoreLeaseTtl < 2) {
            throw new IllegalArgumentException("--kvstore-lease-ttl must be at least 2 s, not " + kvstoreLeaseTtl + " s");
        }
        return Duration.ofSeconds(kvstoreLeaseTtl);
    }
}
