package dev.weir.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

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
        description = "weir: an eBPF networking dataplane (XDP, TC and cgroup hooks) with a Java control plane.")
public final class Main implements Runnable {

    /** The top-level commands by their {@code @Command} name, in the order {@code weir --help} lists them. */
    static final Map<String, Class<?>> COMMANDS = commands(
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
            CommandLine.HelpCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code, without exiting (for tests). */
    public static int run(String... args) {
        return commandLine(args).execute(args);
    }

    /** The whole command tree: every command, at any depth. */
    public static CommandLine commandLine() {
        return configure(COMMANDS.values());
    }

    /**
     * The tree that {@code args} need: when the first argument names a top-level command (other than
     * {@code help}), the root with that command alone; for {@code --version} alone, the root alone; else the
     * whole tree ({@link #commandLine()}). picocli
     * builds a command's model, and loads its classes, when the command is added; for a short command in a new
     * JVM that was most of its run (0.8 of 1.1 s for the whole tree), and a command's parsing, help and errors
     * depend only on the root and the command's own subtree.
     */
    public static CommandLine commandLine(String... args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            return configure(java.util.List.of()); // the root's own option
        }
        Class<?> only = args.length == 0 || args[0].equals("help") ? null : COMMANDS.get(args[0]);
        return only == null ? commandLine() : configure(java.util.List.of(only));
    }

    private static CommandLine configure(java.util.Collection<Class<?>> commands) {
        CommandLine cl = new CommandLine(new Main());
        commands.forEach(cl::addSubcommand);
        // set after the subcommands are added: picocli passes these to the subcommands present
        cl.setExecutionExceptionHandler(new Errors());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    private static Map<String, Class<?>> commands(Class<?>... classes) {
        Map<String, Class<?>> out = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            out.put(c.getAnnotation(Command.class).name(), c);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    @Override
    public void run() {
        spec.commandLine().usage(new PrintWriter(System.out, true));
    }
}
