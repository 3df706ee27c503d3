package dev.weir.agent.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.cluster.Node;

/** The attachments file: attachments recorded side by side all reach it, and a removed one leaves it. */
class CniEndpointsTest {

    private static final Node NODE = new Node("node1", null, "192.168.100.1", null);

    @TempDir
    Path dir;

    @Test
    void attachmentsRecordedSideBySideAllReachTheFileAndARemovedOneLeavesIt() throws Exception {
        Path file = dir.resolve(CniEndpoints.FILE);
        CniEndpoints endpoints = new CniEndpoints(NODE, file, List::of);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Attachment>> added = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Attachment a = attachment(i);
            added.add(pool.submit(() -> {
                endpoints.persist(endpoints.stage(a), a);
                return a;
            }));
        }
        List<Attachment> all = new ArrayList<>();
        for (Future<Attachment> f : added) {
            all.add(f.get());
        }
        pool.shutdown();
        assertThat(new CniEndpoints(NODE, file, List::of).all()).as("read back by a restarted agent")
                .containsExactlyInAnyOrderElementsOf(all);

        endpoints.remove(all.get(7));
        assertThat(new CniEndpoints(NODE, file, List::of).all()).hasSize(39).doesNotContain(all.get(7));
        assertThat(endpoints.read().endpointsOn("node1")).hasSize(39);
    }

    private static Attachment attachment(int i) {
        return new Attachment("c" + i, "eth0", "/run/netns/p" + i, i + 1, "x", "p" + i, Map.of("pod", "p" + i),
                "10.250.0." + (i + 2), null, "lxc-x-p" + i, null, 1450, null, "2026-12-06T00:00:00Z");
    }
}
