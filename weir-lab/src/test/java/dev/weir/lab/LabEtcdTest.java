package dev.weir.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.lab.host.LabPaths;

/** The lab's etcd settings and how lab down recognises a member, without starting one. */
class LabEtcdTest {

    private final LabPaths paths = new LabPaths("/run/weir/lab", "/run/weir/lab/lab.json", "/run/weir/lab/pods",
            "/run/weir/lab/logs", "/sys/fs/cgroup/unified/weir-lab");

    @Test
    void membersUseTheLabsPortsTmpfsLogsAndToken() {
        EtcdCluster.Config c = LabEtcd.config(3, paths);
        assertThat(c.members()).isEqualTo(3);
        assertThat(c.basePort()).isEqualTo(23790);
        assertThat(c.dataRoot()).isEqualTo(Path.of("/dev/shm/weir-lab-etcd"));
        assertThat(c.logDir()).isEqualTo(Path.of("/run/weir/lab/logs"));
        assertThat(c.token()).isEqualTo("weir-lab");
        // the cluster itself plans member i on 23790 + 2(i-1), peers one above (EtcdCluster.start)
        assertThat(LabEtcd.config(5, paths).basePort() + 2 * 4 + 1).isEqualTo(23799);
    }

    @Test
    void aMemberIsAnEtcdWithItsDataUnderTheRoot() {
        List<String> args = List.of("--name", "etcd1", "--data-dir", "/dev/shm/weir-lab-etcd/etcd1",
                "--listen-client-urls", "http://127.0.0.1:23790");
        assertThat(LabEtcd.isMemberCommand("/usr/bin/etcd", args)).isTrue();
        assertThat(LabEtcd.isMemberCommand("/usr/bin/etcd", List.of("--data-dir=/dev/shm/weir-lab-etcd/etcd2"))).isTrue();
        assertThat(LabEtcd.isMemberCommand("/usr/bin/bash", List.of("-c", "ls /dev/shm/weir-lab-etcd/etcd1")))
                .as("a shell naming the path").isFalse();
        assertThat(LabEtcd.isMemberCommand("/usr/bin/bash", List.of("--data-dir", "/dev/shm/weir-lab-etcd/etcd1"))).isFalse();
        assertThat(LabEtcd.isMemberCommand("/usr/bin/etcd", List.of("--data-dir", "/dev/shm/weir-etcd-test123/data/etcd1")))
                .as("a test's own cluster").isFalse();
        assertThat(LabEtcd.isMemberCommand("/usr/bin/etcd", List.of("--data-dir", "/dev/shm/weir-lab-etcd-other/x"))).isFalse();
        assertThat(LabEtcd.isMemberCommand("", args)).isFalse();
    }

    @Test
    void kvstoreConfigIsChecked() {
        assertThat(KvstoreConfig.of(null, null, "/var/lib/weir/lab/store")).isEqualTo(KvstoreConfig.file("/var/lib/weir/lab/store"));
        assertThat(KvstoreConfig.of("etcd", null, "/ignored")).isEqualTo(KvstoreConfig.etcd(3));
        assertThat(KvstoreConfig.of("etcd", 5, null).members()).isEqualTo(5);
        assertThat(KvstoreConfig.of("etcd", 1, null).etcd()).isTrue();
        assertThatThrownBy(() -> KvstoreConfig.of("etcd", 6, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--etcd-members must be 1 to 5, not 6");
        assertThatThrownBy(() -> KvstoreConfig.of("etcd", 0, null)).hasMessage("--etcd-members must be 1 to 5, not 0");
        assertThatThrownBy(() -> KvstoreConfig.of("file", 3, "/d")).hasMessage("--etcd-members is for --kvstore etcd");
        assertThatThrownBy(() -> KvstoreConfig.of("zookeeper", null, "/d"))
                .hasMessage("unknown kvstore 'zookeeper' (file or etcd)");
    }

    @Test
    void etcdStateJoinsTheClientUrls() {
        KvstoreState s = KvstoreState.etcd(List.of(
                new KvstoreState.Member("etcd1", "http://127.0.0.1:23790", "http://127.0.0.1:23791", 1, "d1", "l1", true, true),
                new KvstoreState.Member("etcd2", "http://127.0.0.1:23792", "http://127.0.0.1:23793", 2, "d2", "l2", true, true)));
        assertThat(s.endpoints()).isEqualTo("http://127.0.0.1:23790,http://127.0.0.1:23792");
        assertThat(s.etcd()).isTrue();
        assertThat(LabEtcd.checked(KvstoreState.file("/x"))).isEqualTo(KvstoreState.file("/x"));
        assertThat(LabEtcd.checked(null)).isNull();
    }
}
