package dev.weir.cli;

/** Runs the weir command line in-process and captures what it prints ({@link InProcess}). Tests are sequential. */
public final class Cli {

    private Cli() {
    }

    public static InProcess.Result run(String... args) {
        return InProcess.run(args);
    }
}
