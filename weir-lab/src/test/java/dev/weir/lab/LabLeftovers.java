package dev.weir.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.weir.lab.agent.PodAgent;
import dev.weir.lab.host.Cgroup2;
import dev.weir.lab.host.Netns;

/** Asserts that no trace of a lab is left on the machine. */
final class LabLeftovers {

    private LabLeftovers() {
    }

    static void assertNone() {
        assertThat(Netns.labNamespaces()).as("lab network namespaces").isEmpty();
        assertThat(Cgroup2.mountPoint().resolve("weir-lab")).as("lab cgroup").doesNotExist();
        assertThat(Path.of("/run/weir/lab")).as("lab run directory").doesNotExist();
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (agents() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(agents()).as("agent processes").isZero();
        assertThat(Files.exists(Path.of("/run/netns/weir-node1"))).isFalse();
    }

    private static long agents() {
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().orElse("").contains(PodAgent.class.getName())).count();
    }
}
