package dev.weir.cli.lab;

import java.time.Duration;

import dev.weir.agent.datapath.SocketLbMode;
import dev.weir.agent.prefilter.PrefilterScopes;
import dev.weir.lab.Lab;
import dev.weir.lab.model.LabNames;
import dev.weir.lab.LabConfig;
import dev.weir.lab.model.NodeSpec;
import dev.weir.cli.agent.LabAgents;
import dev.weir.datapath.lb.LbMapSizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir lab up}: builds the lab (removing a leftover first) and waits until every pod is ready. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Build the lab (a leftover is removed first) and wait until every pod agent is ready; then start",
                "a weir agent per node (log /run/weir/lab/logs/agent-<node>.log, store /var/lib/weir/lab/store)."})
final class LabUpCommand implements Runnable {

    @Option(names = "--model", defaultValue = "netpol", description = "The lab model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--nodes", defaultValue = "2", description = "Number of nodes; 1 puts every pod on node1 (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--ready-timeout", defaultValue = "60s", description = "How long to wait for the pod agents (default: ${DEFAULT-VALUE}).")
    String readyTimeout;

    @Option(names = "--socket-lb", defaultValue = "auto", paramLabel = "auto|on|off",
            description = {"The weir agents' socket-level service translation (weir agent --socket-lb): auto, on or off",
                    "(TC only). Default: ${DEFAULT-VALUE}; `weir lab restart-agents --socket-lb` changes it."})
    SocketLbMode socketLb;

    @Option(names = "--lb-map-size", paramLabel = "MAP=ENTRIES",
            description = {"Size of a service map for every agent, repeatable (see weir agent --help), e.g.",
                    "lb_backend=200000 for 10,000 services of 10 backends."})
    java.util.List<String> lbMapSizes;

    @Override
    public void run() {
        Duration ready = Durations.parse(readyTimeout, "--ready-timeout");
        LbMapSizes sizes;
        try {
            sizes = LbMapSizes.parse(lbMapSizes);
        } catch (IllegalArgumentException e) {
            throw new dev.weir.cli.UserError(e.getMessage());
        }
        // a new lab starts clean: no prefilter pins or rules left from an earlier lab's namespaces
        PrefilterScopes.system().purge(LabNames::isLabNetns);
        Lab lab = Lab.up(new LabConfig(model, nodes, ready), Progress::line);
        // one weir agent per node, in the host namespace (it must not keep a lab namespace busy)
        LabAgents.start(lab.model().nodes().stream().map(NodeSpec::name).toList(), ready, socketLb, sizes, Progress::line);
    }
}
