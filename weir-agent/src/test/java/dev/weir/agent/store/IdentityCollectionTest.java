package dev.weir.agent.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityCollectionTest {

    @TempDir
    Path dir;

    @Test
    void unusedIdentitiesAreCollectedAfterTheGraceAndNeverRenumberedBack() {
        FileStore store = new FileStore(FileStore.Config.of(dir));
        StoreIdentityAllocator node1 = new StoreIdentityAllocator(store);
        StoreIdentityAllocator node2 = new StoreIdentityAllocator(new FileStore(FileStore.Config.of(dir)));
        int a = node1.allocate(Map.of("k8s:pod", "a"));
        int b = node1.allocate(Map.of("k8s:pod", "b"));
        int cidr = node1.allocate(Map.of("cidr:10.0.0.0/8", ""));
        assertThat(node2.allocate(Map.of("k8s:pod", "b"))).as("shared numbers").isEqualTo(b);

        Instant t0 = Instant.parse("2026-11-26T00:00:00Z");
        assertThat(node1.collect(Set.of(a), t0)).as("not before the grace").isEmpty();
        assertThat(node1.collect(Set.of(a, b), t0.plusSeconds(30))).isEmpty();
        assertThat(node1.collect(Set.of(a), t0.plusSeconds(61))).as("b was used again at 30 s").containsExactly(cidr);
        assertThat(node1.collect(Set.of(a), t0.plusSeconds(100))).isEmpty();
        assertThat(node1.collect(Set.of(a), t0.plusSeconds(121))).containsExactly(b);
        assertThat(node1.all()).containsOnlyKeys(a);

        // the other node's cache must not bring the old number back: a returning label set is new
        int b2 = node2.allocate(Map.of("k8s:pod", "b"));
        assertThat(b2).isNotEqualTo(b).isGreaterThan(b);
        assertThat(node1.allocate(Map.of("k8s:pod", "b"))).as("both nodes agree on the new number").isEqualTo(b2);
        assertThat(node1.allocate(Map.of("cidr:10.0.0.0/8", ""))).isNotEqualTo(cidr);
    }

    /** A view with a gap (etcd's watch down) may miss a node's new endpoint: no unused time counts across it. */
    @Test
    void unusedTimeCountsOnlyWhileTheStoreIsLive() {
        FileStore files = new FileStore(FileStore.Config.of(dir));
        boolean[] live = {true};
        Store store = new Store() {
            @Override
            public Snapshot snapshot() {
                return files.snapshot();
            }

            @Override
            public CommitResult commit(java.util.List<Change> changes, CommitCheck check) {
                return files.commit(changes, check);
            }

            @Override
            public long awaitRevisionAfter(long seen, java.time.Duration timeout) throws InterruptedException {
                return files.awaitRevisionAfter(seen, timeout);
            }

            @Override
            public Allocations allocations(String table, int first, int last) {
                return files.allocations(table, first, last);
            }

            @Override
            public boolean live() {
                return live[0];
            }
        };
        StoreIdentityAllocator ids = new StoreIdentityAllocator(store);
        int a = ids.allocate(Map.of("k8s:pod", "a"));
        Instant t0 = Instant.parse("2026-11-26T00:00:00Z");
        assertThat(ids.collect(Set.of(), t0)).isEmpty();
        live[0] = false;
        assertThat(ids.collect(Set.of(), t0.plusSeconds(61))).as("nothing while the view has a gap").isEmpty();
        live[0] = true;
        assertThat(ids.collect(Set.of(), t0.plusSeconds(70))).as("the grace starts again").isEmpty();
        assertThat(ids.collect(Set.of(), t0.plusSeconds(129))).isEmpty();
        assertThat(ids.collect(Set.of(), t0.plusSeconds(131))).containsExactly(a);
    }
}
