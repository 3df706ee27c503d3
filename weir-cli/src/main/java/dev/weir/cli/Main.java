package dev.weir.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code weir} command: an eBPF networking dataplane with a Java control plane.
 *
 * <p>Exit codes: 0 success, 1 the operation failed (message on stderr), 2 bad usage or bad input.
 */
@Command(name = "weir",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "weir: an eBPF networking dataplane (XDP, TC and cgroup hooks) with a Java control plane.",
        subcommands = {
                VersionCommand.class,
                dev.weir.cli.ops.ProbeCommand.class,
                dev.weir.cli.lab.LabCommand.class,
                dev.weir.cli.prefilter.PrefilterCommand.class,
                dev.weir.cli.ops.BpfCommand.class,
                dev.weir.cli.ops.NetCommand.class,
                dev.weir.cli.ops.UninstallCommand.class,
                dev.weir.cli.ops.InstallCniCommand.class,
                dev.weir.cli.agent.AgentCommand.class,
                dev.weir.cli.agent.StatusCommand.class,
                dev.weir.cli.agent.EndpointCommand.class,
                dev.weir.cli.agent.IdentityCommand.class,
                dev.weir.cli.agent.NodeCommand.class,
                dev.weir.cli.agent.PolicyCommand.class,
                dev.weir.cli.agent.ApplyCommand.Apply.class,
                dev.weir.cli.agent.ApplyCommand.Delete.class,
                dev.weir.cli.agent.ObserveCommand.class,
                dev.weir.cli.capture.CaptureCommand.class,
                dev.weir.cli.agent.TraceCommand.class,
                dev.weir.cli.agent.DnsCommand.class,
                dev.weir.cli.agent.ServiceCommand.class,
                dev.weir.cli.diagnose.DiagnoseCommand.class,
                dev.weir.cli.ui.UiCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code, without exiting (for tests). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new Errors());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(new PrintWriter(System.out, true));
    }
}
