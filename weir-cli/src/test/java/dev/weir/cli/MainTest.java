package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/**
 * {@link Main#commandLine(String...)} builds only the top-level command the arguments name: that command's help,
 * its errors and exit codes are the same as in the whole tree; {@code --version} alone needs none; anything else
 * gets the whole tree.
 */
class MainTest {

    @Test
    void aNamedCommandAloneAnswersAsInTheWholeTree() {
        for (String name : Main.COMMANDS.keySet()) {
            if (name.equals("help")) {
                continue;
            }
            assertThat(Main.commandLine(name).getSubcommands()).as(name).containsOnlyKeys(name);
            for (String[] args : new String[][] {{name, "--help"}, {name, "--no-such-option"}}) {
                assertThat(run(Main.commandLine(args), args)).as(String.join(" ", args))
                        .isEqualTo(run(Main.commandLine(), args));
            }
        }
    }

    @Test
    void anythingElseGetsTheWholeTree() {
        int all = Main.COMMANDS.size();
        assertThat(Main.commandLine().getSubcommands()).hasSize(all);
        for (String[] args : new String[][] {{}, {"help", "apply"}, {"--help"}, {"--version", "apply"}, {"aply", "-f", "x"}}) {
            assertThat(Main.commandLine(args).getSubcommands()).as(String.join(" ", args)).hasSize(all);
        }
        assertThat(run(Main.commandLine("help", "apply"), "help", "apply")).startsWith("0\n").contains("Usage: weir apply");
    }

    @Test
    void versionAloneNeedsNoCommand() {
        for (String v : new String[] {"--version", "-V"}) {
            assertThat(Main.commandLine(v).getSubcommands()).isEmpty();
            assertThat(run(Main.commandLine(v), v)).isEqualTo(run(Main.commandLine(), v)).startsWith("0\nweir ");
        }
    }

    @Test
    void theAotTrainingRunPrintsNothing() throws Exception {
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        try (java.io.PrintStream capture = new java.io.PrintStream(printed, true)) {
            System.setOut(capture);
            System.setErr(capture);
            AotTraining.main(new String[0]);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertThat(printed.toString()).isEmpty();
    }

    /** The exit code, stdout and stderr of one run, as one string. */
    private static String run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return exit + "\n" + out + "\n--- err\n" + err;
    }
}
