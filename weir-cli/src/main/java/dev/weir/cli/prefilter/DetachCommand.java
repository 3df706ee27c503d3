package dev.weir.cli.prefilter;

import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir prefilter detach IFACE…}. */
@Command(name = "detach", mixinStandardHelpOptions = true,
        description = "Detach the prefilter from interfaces; the last detach also removes its maps (rules are kept).")
final class DetachCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Parameters(arity = "0..*", paramLabel = "IFACE", description = "Interface(s) to detach from.")
    List<String> interfaces = List.of();

    @Option(names = "--all", description = "Detach from every interface of the namespace and forget its rules.")
    boolean all;

    @Override
    public void run() {
        var manager = scope.manager();
        if (all) {
            manager.purge();
            System.out.println("prefilter removed from " + scope.scope());
            return;
        }
        if (interfaces.isEmpty()) {
            throw new IllegalArgumentException("name the interface(s) to detach from, or --all");
        }
        for (String iface : interfaces) {
            manager.detach(iface);
            System.out.println("prefilter detached from " + iface + " (" + scope.scope() + ")");
        }
    }
}
