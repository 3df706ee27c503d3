package dev.weir.bench;

import dev.weir.bench.cni.CniBenchCommand;
import dev.weir.bench.flows.FlowBenchCommand;
import dev.weir.bench.jmh.JmhCommand;
import dev.weir.bench.kvstore.KvstoreBenchCommand;
import dev.weir.bench.policy.PolicyBenchCommand;
import dev.weir.bench.prefilter.PrefilterBenchCommand;
import dev.weir.bench.routing.RoutingBenchCommand;
import dev.weir.bench.services.ServicesBenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code weir-bench}: weir's benchmark commands. Each subcommand sets up what it measures, prints a
 * table (optionally JSON) and removes everything it created, also when it fails or is interrupted.
 *
 * <p>Exit codes: 0 measured; 1 a check failed (wrong verdict, set-up error); 2 usage; 3 cannot run here
 * (not root, a tool missing, a name already in use).
 */
@Command(name = "weir-bench", mixinStandardHelpOptions = true,
        description = "weir's benchmarks (run as root, but for kvstore-sim; see docs/benchmarks.md).",
        subcommands = {PrefilterBenchCommand.class, PolicyBenchCommand.class, FlowBenchCommand.class,
                ServicesBenchCommand.class, KvstoreBenchCommand.class, CniBenchCommand.class, RoutingBenchCommand.class, dev.weir.bench.synflood.SynFloodBenchCommand.class,
                JmhCommand.class})
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        // jmh hands every argument, options included, to JMH's own command line
        cli.getSubcommands().get("jmh").setUnmatchedOptionsArePositionalParams(true);
        System.exit(cli.execute(args));
    }
}
