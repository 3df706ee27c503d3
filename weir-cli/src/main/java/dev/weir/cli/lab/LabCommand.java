package dev.weir.cli.lab;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code weir lab}: a disposable cluster of network namespaces on this machine (see weir-lab/README.md). */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "A disposable multi-node cluster made of network namespaces on this machine.",
        subcommands = {
                LabUpCommand.class,
                LabDownCommand.class,
                LabStatusCommand.class,
                LabProbeCommand.class,
                LabExecCommand.class,
                LabMatrixCommand.class,
                LabRestartAgentsCommand.class,
        })
public final class LabCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(new PrintWriter(System.out, true));
    }
}
