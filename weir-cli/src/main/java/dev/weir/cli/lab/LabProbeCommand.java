package dev.weir.cli.lab;

import java.io.PrintWriter;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code weir lab probe FROM TO PROTO/PORT}: prints {@code allowed (ns/pod)} or {@code blocked} and exits 0
 * either way.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Probe TO from FROM, from inside FROM's network namespace and cgroup.",
                "Prints 'allowed (BACKEND)' or 'blocked'; exits 0 either way."})
final class LabProbeCommand implements Runnable {

    @Parameters(index = "0", paramLabel = "FROM", description = "NS/POD, ext, or a node (node1: its own processes).")
    String from;

    @Parameters(index = "1", paramLabel = "TO", description = "NS/POD, ext or an IP address (e.g. a service VIP).")
    String to;

    @Parameters(index = "2", paramLabel = "PROTO/PORT", description = "e.g. TCP/80, UDP/81.")
    String port;

    @Option(names = "--family", description = "4 or 6: which address of a pod to probe (default: 4, or the address's).")
    Integer family;

    @Option(names = "--timeout", defaultValue = "1s", description = "How long to wait for the reply (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table (one line) or json.")
    OutputFormat output;

    @Override
    public void run() {
        Family f = family == null ? null : Family.of(family);
        ProbeResult r = Lab.require().probe(from, to, PortSpec.parse(port), f, Durations.parse(timeout, "--timeout"));
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, r);
        } else {
            out.println(r.summary());
        }
    }
}
