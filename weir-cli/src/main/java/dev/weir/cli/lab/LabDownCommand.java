package dev.weir.cli.lab;

import java.time.Duration;
import java.util.List;

import dev.weir.agent.prefilter.PrefilterScopes;
import dev.weir.cli.agent.LabAgents;
import dev.weir.lab.model.NodeSpec;
import dev.weir.lab.DownReport;
import dev.weir.lab.Lab;
import picocli.CommandLine.Command;

/** {@code weir lab down}: removes everything the lab made, even when its state is partly missing. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop the weir agents (SIGTERM, then SIGKILL after 5 s) and remove their run directories, pins "
                + "and the lab's store; then kill the etcd members (found by their command line, so also "
                + "without lab.json) and remove their data (/dev/shm/weir-lab-etcd) and logs; stop the pod agents and "
                + "delete every namespace, cgroup and file of the lab, and the prefilter pins and rules of its "
                + "namespaces.")
final class LabDownCommand implements Runnable {

    @Override
    public void run() {
        long start = System.nanoTime();
        DownReport r = down();
        if (r.nothing()) {
            Progress.line("no lab to remove");
        } else {
            Progress.line("lab is down: stopped " + r.processes() + " processes, deleted " + r.namespaces()
                    + " namespaces and " + r.cgroups() + " cgroups (" + (System.nanoTime() - start) / 1_000_000 + " ms)");
        }
    }

    /** Takes the lab down: the weir agents first, then the lab (etcd members, pods, namespaces), then prefilters. */
    static DownReport down() {
        LabAgents.stopAll(currentNodes(), Duration.ofSeconds(5), Progress::line);
        DownReport r = Lab.down(Progress::line);
        for (String scope : PrefilterScopes.system().pruneMissingNamespaces()) {
            Progress.line("removed the prefilter pins and rules of " + scope);
        }
        return r;
    }

    /** The nodes of the lab that is up, or none (also when its state is unreadable). */
    static List<String> currentNodes() {
        try {
            return Lab.current().map(l -> l.model().nodes().stream().map(NodeSpec::name).toList()).orElse(List.of());
        } catch (RuntimeException e) {
            Progress.line("ignoring unreadable lab state: " + e.getMessage());
            return List.of();
        }
    }
}
