package dev.weir.cli.prefilter;

import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir prefilter detach IFACE…}. */
@Command(name = "detach", mixinStandardHelpOptions = true,
        description = {"Detach the prefilter from interfaces; the last detach also removes its maps (rules are kept).",
                "On a node's namespace whose agent runs, the interfaces leave the node's WeirPrefilter",
                "imperative-<node>, and --all deletes that object (interfaces and rules other WeirPrefilter",
                "objects give stay)."})
final class DetachCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Parameters(arity = "0..*", paramLabel = "IFACE", description = "Interface(s) to detach from.")
    List<String> interfaces = List.of();

    @Option(names = "--all", description = "Detach from every interface of the namespace and forget its rules.")
    boolean all;

    @Override
    public void run() {
        if (!all && interfaces.isEmpty()) {
            throw new IllegalArgumentException("name the interface(s) to detach from, or --all");
        }
        var agent = scope.agent();
        if (agent.isPresent()) {
            var params = NodeAgentPrefilter.op(all ? "remove" : "detach");
            interfaces.forEach(params.putArray("interfaces")::add);
            var edited = agent.get().edit(params);
            if (all) {
                var left = NodeAgentPrefilter.strings(edited.status().path("objects"));
                System.out.println("prefilter removed from " + scope.scope() + (left.isEmpty() ? ""
                        : " (WeirPrefilter " + String.join(", ", left) + " still select(s) node " + agent.get().node() + ")"));
            } else {
                for (String i : interfaces) {
                    var by = NodeAgentPrefilter.strings(edited.status().path("interfaces").path(i));
                    System.out.println(by.isEmpty() ? "prefilter detached from " + i + " (" + scope.scope() + ")"
                            : "prefilter stays attached to " + i + " (" + scope.scope() + "): WeirPrefilter "
                            + String.join(", ", by) + " name(s) it");
                }
            }
            System.out.println(edited.summary());
            return;
        }
        var manager = scope.manager();
        if (all) {
            manager.purge();
            System.out.println("prefilter removed from " + scope.scope());
            return;
        }
        for (String iface : interfaces) {
            manager.detach(iface);
            System.out.println("prefilter detached from " + iface + " (" + scope.scope() + ")");
        }
    }
}
