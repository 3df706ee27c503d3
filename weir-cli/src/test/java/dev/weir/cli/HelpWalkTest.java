package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command of the tree {@link Main#commandLine()} builds, at any depth, answers {@code --help}: exit 0,
 * a usage that names the command on stdout, nothing on stderr, and {@code --help} a usage-help option, so
 * picocli prints the usage instead of running the command (no root needed, no side effects).
 */
class HelpWalkTest {

    /** The tree held 52 commands (the root and {@code help} included) when this was written. */
    private static final int AT_LEAST = 45;

    @Test
    void everyCommandAnswersHelp() {
        List<CommandSpec> commands = new ArrayList<>();
        walk(Main.commandLine(), commands);
        assertThat(commands).as("commands found by the walk").hasSizeGreaterThanOrEqualTo(AT_LEAST);

        List<String> failures = new ArrayList<>();
        for (CommandSpec command : commands) {
            String failure = helpFailure(command);
            if (failure != null) {
                failures.add("  " + command.qualifiedName() + ": " + failure);
            }
        }
        assertThat(failures)
                .withFailMessage("%d of %d commands do not answer --help:%n%s",
                        failures.size(), commands.size(), String.join("\n", failures))
                .isEmpty();
    }

    /** This command and every command below it, parents before their subcommands. */
    private static void walk(CommandLine cl, List<CommandSpec> commands) {
        commands.add(cl.getCommandSpec());
        Set<CommandLine> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (seen.add(sub)) { // an alias maps to the same CommandLine as the name
                walk(sub, commands);
            }
        }
    }

    /** Why {@code <command> --help} is wrong, or null when it is right. */
    private static String helpFailure(CommandSpec command) {
        OptionSpec help = command.findOption("--help");
        if (help == null) {
            return "no --help option (mixinStandardHelpOptions = true gives one)";
        }
        if (!help.usageHelp()) {
            return "--help is not a usage-help option, so the command's body would run";
        }
        InProcess.Result r = Cli.run(helpArgs(command));
        if (r.exit() != 0) {
            return "exit " + r.exit() + ", " + firstLine(r.err());
        }
        Pattern usage = Pattern.compile("^Usage: " + Pattern.quote(command.qualifiedName()) + "(\\s|$)", Pattern.MULTILINE);
        if (!usage.matcher(r.out()).find()) {
            return "the usage does not name the command: " + firstLine(r.out());
        }
        if (!r.err().isEmpty()) {
            return "wrote to stderr: " + firstLine(r.err());
        }
        return null;
    }

    /** The command's path below the root, then --help: {@code weir bpf map list} gives {@code bpf map list --help}. */
    private static String[] helpArgs(CommandSpec command) {
        List<String> args = new ArrayList<>(Arrays.asList(command.qualifiedName().split(" ")));
        args.removeFirst();
        args.add("--help");
        return args.toArray(String[]::new);
    }

    private static String firstLine(String text) {
        return text.strip().lines().findFirst().orElse("(nothing)");
    }
}
