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
                "Rules and maps are per network namespace (--netns), shared by its attached interfaces.",
                "",
                "Desired state: on a node with an agent (every lab node), the prefilter is what the cluster's",
                "weir.dev/v1 WeirPrefilter objects that select the node ask (weir apply -f; kept in the store, so",
                "in etcd too; re-applied after a restart or reboot). There attach, detach, add, del and set are",
                "shortcuts that edit the node's object WeirPrefilter imperative-<node>; list, stats and events",
                "read the node's prefilter through its agent. Example: examples/prefilter/01-deny-doc-nets.yaml."},
        subcommands = {
                AttachCommand.class, DetachCommand.class, AddCommand.class, DelCommand.class,
                ListCommand.class, StatsCommand.class, SetCommand.class, EventsCommand.class,
        })
public final class PrefilterCommand {
}
