package dev.weir.cli.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.lab.KvstoreState;
import dev.weir.lab.LabState;
import dev.weir.lab.host.LabPaths;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.NetpolModel;

/** {@code weir lab status}'s table shows the kvstore: the file store's directory, or a line per etcd member. */
class LabStatusTableTest {

    private static final LabPaths PATHS = new LabPaths("/run/weir/lab", "/run/weir/lab/lab.json", "/run/weir/lab/pods",
            "/run/weir/lab/logs", "/sys/fs/cgroup/weir-lab");

    @Test
    void etcdMembersWithTheirHealth() {
        String table = print(KvstoreState.etcd(List.of(
                member("etcd1", 23790, 101, true, true),
                member("etcd2", 23792, 102, true, false),
                member("etcd3", 23794, 103, false, false))));
        assertThat(table).contains("kvstore: etcd, 3 member(s), endpoints http://127.0.0.1:23790,http://127.0.0.1:23792,"
                + "http://127.0.0.1:23794");
        assertThat(table.lines().filter(l -> l.startsWith("MEMBER"))).singleElement().asString()
                .contains("CLIENT-URL", "PID", "HEALTH");
        assertThat(table.lines().filter(l -> l.startsWith("etcd1"))).singleElement().asString()
                .contains("http://127.0.0.1:23790", "101", "healthy", "/dev/shm/weir-lab-etcd/etcd1");
        assertThat(table.lines().filter(l -> l.startsWith("etcd2"))).singleElement().asString().contains("UNHEALTHY");
        assertThat(table.lines().filter(l -> l.startsWith("etcd3"))).singleElement().asString().contains("DEAD");
    }

    @Test
    void fileStoreAndNoRecord() {
        assertThat(print(KvstoreState.file("/var/lib/weir/lab/store"))).contains("kvstore: file /var/lib/weir/lab/store");
        assertThat(print(null)).contains("kvstore: not recorded");
    }

    private static KvstoreState.Member member(String name, int port, long pid, boolean alive, boolean healthy) {
        return new KvstoreState.Member(name, "http://127.0.0.1:" + port, "http://127.0.0.1:" + (port + 1), pid,
                "/dev/shm/weir-lab-etcd/" + name, "/run/weir/lab/logs/" + name + ".log", alive, healthy);
    }

    private static String print(KvstoreState kv) {
        LabModel m = NetpolModel.build(2);
        LabState s = new LabState(m.model(), "2026-01-01T00:00:00Z", m.nodes(), m.namespaces(), m.pods(), m.ext(),
                m.underlay(), m.services(), Map.of(), PATHS, kv, null);
        StringWriter text = new StringWriter();
        LabStatusCommand.print(new PrintWriter(text), s);
        return text.toString();
    }
}
