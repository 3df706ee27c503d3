package dev.weir.lab.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.weir.testkit.Requirements;

/** Starts a real 3-member etcd on loopback (Debian's etcd-server), takes members away and back. */
class EtcdClusterTest {

    @Test
    void threeMembersStartDieComeBackAndLeaveNothing() throws Exception {
        Requirements.require(EtcdCluster.available(), "needs Debian's etcd-server (/usr/bin/etcd; scripts/setup.sh installs it)");
        Path root = Files.createTempDirectory(Path.of("/dev/shm"), "weir-etcd-test");
        // ports of this process's own (two test runs on one machine must not answer for each other)
        int base = 29100 + (int) (ProcessHandle.current().pid() % 40) * 10;
        EtcdCluster.Config config = new EtcdCluster.Config(3, root.resolve("data"), root.resolve("logs"), base, "t1");
        try (EtcdCluster c = EtcdCluster.start(config, Duration.ofSeconds(30))) {
            assertThat(c.members()).extracting(EtcdCluster.Member::name).containsExactly("etcd1", "etcd2", "etcd3");
            assertThat(c.endpoints()).isEqualTo("http://127.0.0.1:" + base + ",http://127.0.0.1:" + (base + 2)
                    + ",http://127.0.0.1:" + (base + 4));
            assertThat(c.members()).allMatch(EtcdCluster::healthy);

            c.kill("etcd2");
            assertThat(EtcdCluster.healthy(c.member("etcd2"))).isFalse();
            assertThat(c.member("etcd2").pid()).isZero();
            c.restart("etcd2", Duration.ofSeconds(30));
            assertThat(EtcdCluster.healthy(c.member("etcd2"))).isTrue();

            c.pause("etcd3");
            assertThat(EtcdCluster.healthy(c.member("etcd3"))).isFalse();
            c.resume("etcd3");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!EtcdCluster.healthy(c.member("etcd3")) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(EtcdCluster.healthy(c.member("etcd3"))).isTrue();
            long pid = c.member("etcd1").pid();
            c.close();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(root.resolve("data")).isEmptyDirectory();
        } finally {
            try (var s = Files.walk(root)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
