package dev.weir.cli.prefilter;

import java.util.List;

import dev.weir.agent.prefilter.Capacity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir prefilter attach IFACE…}. */
@Command(name = "attach", mixinStandardHelpOptions = true,
        description = {"Load the prefilter and attach it at XDP to interfaces (the scope's rules apply at once).",
                "On a node's namespace whose agent runs, the interfaces go into the node's WeirPrefilter",
                "imperative-<node> (spec.interfaces, spec.xdpMode) and the agent attaches; its maps are sized",
                "by the agent (the defaults below)."})
final class AttachCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Mixin
    ForceOption force;

    @Parameters(arity = "1..*", paramLabel = "IFACE", description = "Interface(s) in the namespace.")
    List<String> interfaces;

    @Option(names = "--mode", paramLabel = "native|generic|auto",
            description = "XDP mode: native (driver), generic (skb), auto (native if the driver has it). Default: auto.")
    String mode;

    @Option(names = "--max-prefixes", defaultValue = "65536", paramLabel = "N",
            description = "Entries per prefix trie (set at first attach). Default: ${DEFAULT-VALUE}.")
    int maxPrefixes;

    @Option(names = "--max-rules", defaultValue = "65536", paramLabel = "N",
            description = "Rule hit counters, i.e. the most rules (set at first attach). Default: ${DEFAULT-VALUE}.")
    int maxRules;

    @Override
    public void run() {
        if (mode != null && !List.of("native", "generic", "auto").contains(mode)) {
            throw new IllegalArgumentException("--mode must be native, generic or auto, not '" + mode + "'");
        }
        var agent = scope.agent();
        if (agent.isPresent()) {
            if (!new Capacity(maxPrefixes, maxRules).equals(Capacity.DEFAULT)) {
                throw new IllegalArgumentException("node " + agent.get().node() + "'s agent sizes its prefilter maps "
                        + "itself (" + Capacity.DEFAULT.prefixes() + " prefixes, " + Capacity.DEFAULT.rules()
                        + " rules): leave out --max-prefixes and --max-rules");
            }
            var params = NodeAgentPrefilter.op("attach");
            interfaces.forEach(params.putArray("interfaces")::add);
            if (mode != null) {
                params.put("xdpMode", mode);
            }
            var edited = agent.get().edit(force.on(params));
            for (String iface : interfaces) {
                String used = edited.status().path("attachments").path(iface).asText("?");
                System.out.println("prefilter attached to " + iface + " (" + scope.scope() + ") in " + used + " mode");
            }
            System.out.println(edited.summary());
            return;
        }
        var manager = scope.manager();
        for (String iface : interfaces) {
            String used = manager.attach(iface, mode == null ? "auto" : mode, new Capacity(maxPrefixes, maxRules));
            System.out.println("prefilter attached to " + iface + " (" + scope.scope() + ") in " + used + " mode");
        }
    }
}
