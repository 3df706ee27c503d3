package dev.weir.cli.prefilter;

import java.util.List;

import dev.weir.agent.prefilter.Capacity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir prefilter attach IFACE…}. */
@Command(name = "attach", mixinStandardHelpOptions = true,
        description = "Load the prefilter and attach it at XDP to interfaces (the scope's rules apply at once).")
final class AttachCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Parameters(arity = "1..*", paramLabel = "IFACE", description = "Interface(s) in the namespace.")
    List<String> interfaces;

    @Option(names = "--mode", defaultValue = "auto", paramLabel = "native|generic|auto",
            description = "XDP mode: native (driver), generic (skb), auto (native if the driver has it). Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--max-prefixes", defaultValue = "65536", paramLabel = "N",
            description = "Entries per prefix trie (set at first attach). Default: ${DEFAULT-VALUE}.")
    int maxPrefixes;

    @Option(names = "--max-rules", defaultValue = "65536", paramLabel = "N",
            description = "Rule hit counters, i.e. the most rules (set at first attach). Default: ${DEFAULT-VALUE}.")
    int maxRules;

    @Override
    public void run() {
        if (!List.of("native", "generic", "auto").contains(mode)) {
            throw new IllegalArgumentException("--mode must be native, generic or auto, not '" + mode + "'");
        }
        var manager = scope.manager();
        for (String iface : interfaces) {
            String used = manager.attach(iface, mode, new Capacity(maxPrefixes, maxRules));
            System.out.println("prefilter attached to " + iface + " (" + scope.scope() + ") in " + used + " mode");
        }
    }
}
