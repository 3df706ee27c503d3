package dev.weir.cli.agent;

import dev.weir.cli.output.OutputFormat;
import picocli.CommandLine.Option;

/** {@code --node} and {@code -o}, shared by the commands that ask agents. */
final class NodeOptions {

    @Option(names = "--node", description = "Ask only this node's agent (default: every node, merged).")
    String node;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;
}
