package dev.weir.cli.lab;

import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.lab.AgentState;
import dev.weir.lab.KvstoreState;
import dev.weir.lab.Lab;
import dev.weir.lab.LabState;
import dev.weir.lab.model.ExtRoute;
import dev.weir.lab.model.NodeSpec;
import dev.weir.lab.model.PodSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir lab status}: nodes, pods, ext and service ranges of the lab that is up. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the lab: nodes, pods (node, addresses, labels, host interface, agent), ext, service "
                + "ranges and the weir agents' kvstore (file: its directory; etcd: each member, its pid and whether "
                + "it answers /health now).", "Exit 1 when no lab is up."})
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
        print(out, s);
    }

    /** The table form. */
    static void print(PrintWriter out, LabState s) {
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
        printKvstore(out, s.kvstore());
        out.flush();
    }

    private static void printKvstore(PrintWriter out, KvstoreState kv) {
        if (kv == null) {
            out.println("kvstore: not recorded (a lab brought up by an older weir: file)");
        } else if (!kv.etcd()) {
            out.println("kvstore: file" + (kv.dir() == null ? "" : " " + kv.dir()));
        } else {
            out.println("kvstore: etcd, " + kv.members().size() + " member(s), endpoints " + kv.endpoints());
            Table members = new Table("MEMBER", "CLIENT-URL", "PEER-URL", "PID", "HEALTH", "DATA", "LOG");
            for (KvstoreState.Member m : kv.members()) {
                members.row(m.name(), m.clientUrl(), m.peerUrl(), Long.toString(m.pid()),
                        m.healthy() ? "healthy" : m.alive() ? "UNHEALTHY" : "DEAD", m.dataDir(), m.log());
            }
            members.print(out);
        }
    }

    private static String labels(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    private static String agent(AgentState a) {
        return a == null ? "none" : a.pid() + (a.alive() ? " running" : " DEAD");
    }
}
