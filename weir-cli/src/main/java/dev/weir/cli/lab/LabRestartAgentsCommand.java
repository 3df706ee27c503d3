package dev.weir.cli.lab;

import java.time.Duration;
import java.util.List;

import dev.weir.agent.datapath.SocketLbMode;
import dev.weir.cli.agent.LabAgents;
import dev.weir.lab.Lab;
import dev.weir.lab.model.NodeSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir lab restart-agents}: restarts the lab's weir agents, e.g. with another {@code --socket-lb}. */
@Command(name = "restart-agents", mixinStandardHelpOptions = true,
        description = {"Restart the lab's weir agents (SIGTERM, SIGKILL after 5 s, then start and wait until each "
                + "answers) with the given settings. Programs stay attached and maps pinned in between, so traffic "
                + "is not disturbed; with --socket-lb off the new agents detach the socket-level hooks.",
                "The new agents keep the old ones' --lb-map-size and --kvstore settings (with none running, the "
                + "default sizes and the lab's kvstore)."})
final class LabRestartAgentsCommand implements Runnable {

    @Option(names = "--socket-lb", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "Socket-level service translation of the new agents (weir agent --socket-lb; default: ${DEFAULT-VALUE}).")
    SocketLbMode socketLb;

    @Option(names = "--sockmap", description = "The new agents accelerate same-node TCP socket to socket (weir agent --sockmap); without it they remove what an earlier agent made for it.")
    boolean sockmap;

    @Option(names = "--ready-timeout", defaultValue = "60s", description = "How long to wait for each agent (default: ${DEFAULT-VALUE}).")
    String readyTimeout;

    @Override
    public void run() {
        Duration ready = Durations.parse(readyTimeout, "--ready-timeout");
        Lab lab = Lab.require();
        List<String> nodes = lab.model().nodes().stream().map(NodeSpec::name).toList();
        LabAgents.restart(nodes, Duration.ofSeconds(5), ready, socketLb, sockmap, LabAgents.kvstoreOf(lab.kvstore()),
                Progress::line);
    }
}
