package dev.weir.cli.lab;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.MatrixResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir lab matrix}: probes every ordered pod pair on TCP/80, TCP/81, UDP/80 and UDP/81 in parallel.
 * JSON: {@code {"TCP/80": {"x/a": {"x/b": true, …}, …}, …}}.
 */
@Command(name = "matrix", mixinStandardHelpOptions = true,
        description = {"Probe every ordered pair of pods on each port, in parallel.",
                "Table: one grid per port, rows FROM, columns TO; '.' allowed, 'X' blocked."})
final class LabMatrixCommand implements Runnable {

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Option(names = "--family", defaultValue = "4", description = "4 or 6 (default: ${DEFAULT-VALUE}).")
    int family;

    @Option(names = "--ports", defaultValue = "TCP/80,TCP/81,UDP/80,UDP/81", description = "Comma-separated PROTO/PORT list (default: ${DEFAULT-VALUE}).")
    String ports;

    @Option(names = "--timeout", defaultValue = "1s", description = "Per-probe timeout (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public void run() {
        List<PortSpec> portList = Arrays.stream(ports.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .map(PortSpec::parse).distinct().toList();
        MatrixResult m = Lab.require().matrix(Family.of(family), portList, Durations.parse(timeout, "--timeout"));
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, m.truth());
        } else {
            MatrixTable.print(out, m);
        }
    }
}
