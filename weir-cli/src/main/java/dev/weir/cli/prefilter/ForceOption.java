package dev.weir.cli.prefilter;

import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Option;

/** {@code --force}: the edit may drop what the node's agent protects (its lockout guard). */
final class ForceOption {

    @Option(names = "--force", description = {"On a node with an agent: accept a change that would drop protected traffic",
            "(the lockout guard: weir agent --prefilter-protect; ssh, the nodes, the kvstore by default)."})
    boolean force;

    /** The edit's parameters, marked forced when asked. */
    ObjectNode on(ObjectNode params) {
        if (force) {
            params.put("force", true);
        }
        return params;
    }
}
