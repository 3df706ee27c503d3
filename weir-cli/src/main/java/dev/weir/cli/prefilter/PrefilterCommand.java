package dev.weir.cli.prefilter;

import picocli.CommandLine.Command;

/** {@code weir prefilter …}: the XDP prefilter, early map-driven drops for DDoS mitigation and allowlists. */
@Command(name = "prefilter", mixinStandardHelpOptions = true,
        header = "The XDP prefilter: early drops by prefix, port and rate.",
        description = {
                "XDP prefilter: drop by source/destination prefix, protocol and port, allowlist mode and",
                "per-source rate limits, before the kernel allocates anything for the packet.",
                "",
                "Precedence: non-IP passes; malformed headers drop; any deny rule drops (deny beats allow);",
                "in allowlist mode what no allow rule matches drops; then the per-source rate limit.",
                "Rules and maps are per network namespace (--netns), shared by its attached interfaces."},
        subcommands = {
                AttachCommand.class, DetachCommand.class, AddCommand.class, DelCommand.class,
                ListCommand.class, StatsCommand.class, SetCommand.class, EventsCommand.class,
        })
public final class PrefilterCommand {
}
