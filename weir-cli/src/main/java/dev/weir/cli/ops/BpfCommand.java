package dev.weir.cli.ops;

import picocli.CommandLine.Command;

/** {@code weir bpf …}: the kernel's BPF objects, as bpftool lists them, with weir's own marked. */
@Command(name = "bpf", mixinStandardHelpOptions = true,
        description = "List BPF programs and maps in the kernel (weir's marked), like bpftool.",
        subcommands = {BpfProgList.class, BpfMapList.class, dev.weir.cli.agent.CtCommand.class,
                dev.weir.cli.agent.LbListCommand.class, dev.weir.cli.agent.NodePortListCommand.class})
public final class BpfCommand {
}
