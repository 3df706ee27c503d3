package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.weir.testkit.Requirements;

/** The socket-LB hooks go on a pod's own cgroup only: never the cgroup2 root, the agent's cgroup, or a plain directory. */
class PodCgroupsTest {

    private static Path mount() throws IOException {
        Path m = Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
                .filter(f -> f.length > 2 && f[2].equals("cgroup2")).map(f -> Path.of(f[1])).findFirst().orElse(null);
        Requirements.require(m != null, "needs a cgroup2 mount (none in /proc/mounts)");
        return m;
    }

    @Test
    void refusesTheRootOfTheHierarchy() throws IOException {
        Path root = mount();
        assertThatThrownBy(() -> PodCgroups.check(root)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("root of the cgroup2 hierarchy");
    }

    @Test
    void refusesTheAgentsOwnCgroup() throws IOException {
        Requirements.root();
        Path root = mount();
        String name = "weir-podcgroups-own-" + ProcessHandle.current().pid();
        Path child = root.resolve(name);
        Files.createDirectory(child);
        Path self = Files.createTempFile("weir-self-cgroup", "");
        try {
            // the agent as if it ran in that cgroup (this test process may sit in the root)
            Files.writeString(self, "0::/" + name + "\n");
            assertThatThrownBy(() -> PodCgroups.check(child, self))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("agent's own cgroup");
            Files.writeString(self, "0::/\n");
            assertThat(PodCgroups.check(child, self)).isEqualTo(child.toRealPath());
        } finally {
            Files.delete(child);
            Files.delete(self);
        }
    }

    @Test
    void refusesWhatIsNoCgroup() throws IOException {
        mount();
        assertThatThrownBy(() -> PodCgroups.check(Path.of("/tmp"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not on a cgroup2 file system");
        assertThatThrownBy(() -> PodCgroups.check(Path.of("weir-lab/x-a"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an absolute path");
        assertThatThrownBy(() -> PodCgroups.check(mount().resolve("weir-no-such-pod-cgroup")))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void acceptsAChildCgroup() throws IOException {
        Requirements.root();
        Path child = mount().resolve("weir-podcgroups-test-" + ProcessHandle.current().pid());
        Files.createDirectory(child);
        try {
            assertThat(PodCgroups.check(child)).isEqualTo(child.toRealPath());
            assertThat(PodCgroups.id(child)).isPositive();
        } finally {
            Files.delete(child);
        }
        assertThat(child).doesNotExist();
    }
}
