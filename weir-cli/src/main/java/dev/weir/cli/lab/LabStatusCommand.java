package dev.weir.cli.lab;

import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.lab.AgentState;
import dev.weir.lab.Lab;
import dev.weir.lab.LabState;
import dev.weir.lab.model.ExtRoute;
import dev.weir.lab.model.NodeSpec;
import dev.weir.lab.model.PodSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir lab status}: nodes, pods, ext and service ranges of the lab that is up. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the lab: nodes, pods (node, addresses, labels, host interface, agent), ext, service ranges.")
final class LabStatusCommand implements Runnable {

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    public void run() {
        LabState s = Lab.require().status();
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, s);
            return;
        }
        out.println("model " + s.model() + ", up since " + s.createdAt());
        out.println();
        Table nodes = new Table("NODE", "NETNS", "IPV4", "IPV6", "INTERFACES");
        for (NodeSpec n : s.nodes()) {
            nodes.row(n.name(), n.netns(), n.ipv4(), n.ipv6(), String.join(",", n.interfaces()));
        }
        nodes.print(out);
        out.println();
        Table pods = new Table("POD", "NODE", "IPV4", "IPV6", "LABELS", "HOST-IF", "NETNS", "AGENT");
        for (PodSpec p : s.pods()) {
            pods.row(p.ref(), p.node(), p.ipv4(), p.ipv6(), labels(p.labels()), p.hostInterface(), p.netns(),
                    agent(s.agents().get(p.ref().toString())));
        }
        pods.print(out);
        out.println();
        out.println("namespaces: " + s.namespaces().stream().map(n -> n.name() + " " + labels(n.labels()))
                .collect(Collectors.joining("; ")));
        out.println("ext: " + s.ext().netns() + " " + s.ext().ipv4() + " " + s.ext().ipv6() + ", agent "
                + agent(s.agents().get("ext")));
        for (ExtRoute r : s.ext().routes()) {
            out.println("  route " + r.prefix() + " via " + r.via() + " (" + r.node() + ")");
        }
        out.println("underlay: bridge " + s.underlay().bridge() + " in " + s.underlay().netns() + ", "
                + s.underlay().ipv4Prefix() + ", " + s.underlay().ipv6Prefix());
        out.println("services: " + s.services().ipv4() + ", " + s.services().ipv6() + ", NodePorts "
                + s.services().nodePortMin() + "-" + s.services().nodePortMax());
    }

    private static String labels(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    private static String agent(AgentState a) {
        return a == null ? "none" : a.pid() + (a.alive() ? " running" : " DEAD");
    }
}
