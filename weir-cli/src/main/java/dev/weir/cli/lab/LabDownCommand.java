package dev.weir.cli.lab;

import dev.weir.agent.prefilter.PrefilterScopes;
import dev.weir.lab.DownReport;
import dev.weir.lab.Lab;
import picocli.CommandLine.Command;

/** {@code weir lab down}: removes everything the lab made, even when its state is partly missing. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop the pod agents and delete every namespace, cgroup and file of the lab, and the prefilter pins and rules of its namespaces.")
final class LabDownCommand implements Runnable {

    @Override
    public void run() {
        long start = System.nanoTime();
        DownReport r = Lab.down(Progress::line);
        for (String scope : PrefilterScopes.system().pruneMissingNamespaces()) {
            Progress.line("removed the prefilter pins and rules of " + scope);
        }
        if (r.nothing()) {
            Progress.line("no lab to remove");
        } else {
            Progress.line("lab is down: stopped " + r.processes() + " processes, deleted " + r.namespaces()
                    + " namespaces and " + r.cgroups() + " cgroups (" + (System.nanoTime() - start) / 1_000_000 + " ms)");
        }
    }
}
