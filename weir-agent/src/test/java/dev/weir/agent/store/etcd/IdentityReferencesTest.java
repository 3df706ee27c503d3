package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreIdentityAllocator;

/**
 * Identity references through a real 3-member etcd (docs/kvstore.md, "Identity references"): a key a node's
 * endpoints use is not collected, whatever the collector's own view says, until that node lets go of it or its
 * lease expires; a reference to a key collected meanwhile is refused and makes the node compute again.
 */
class IdentityReferencesTest {

    @org.junit.jupiter.api.extension.RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(3);
    private final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

    @Test
    void aReferencedKeyOutlivesTheCollectorsViewUntilItsNodeLetsGoOrItsLeaseExpires() throws Exception {
        String prefix = "r1/";
        try (Etcd c1 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3)); Etcd c2 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            EtcdStore collectorStore = new EtcdStore(c1, log::add);
            Store.Allocations collector = collectorStore.allocations("identities", 256, 1000);
            Store.Allocations other = new EtcdStore(c2, log::add).allocations("identities", 256, 1000);
            int a = other.allocate("k8s:app=a");
            int b = other.allocate("k8s:app=b");
            assertThat(collector.allocate("k8s:app=a")).isEqualTo(a);

            EtcdNodeRegistry node2 = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", Duration.ofSeconds(3), null), c2, log::add);
            node2.start();
            try {
                node2.publishReferences("identities", Map.of("k8s:app=a", a), () -> { });
                EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=a")) == 1);

                assertThat(collector.releaseUnreferenced(List.of("k8s:app=a", "k8s:app=b")))
                        .as("a is referenced by node2; b by nobody").containsExactly("k8s:app=b");
                assertThat(collector.all()).containsOnlyKeys("k8s:app=a");

                node2.publishReferences("identities", Map.of(), () -> { });
                EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=a")) == 0);
                node2.publishReferences("identities", Map.of("k8s:app=a", a), () -> { });
                EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=a")) == 1);
            } finally {
                node2.stop(); // a stop does not revoke the lease: the reference goes when it expires
            }
            assertThat(collector.releaseUnreferenced(List.of("k8s:app=a"))).as("the lease still holds it").isEmpty();
            EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=a")) == 0);
            assertThat(collector.releaseUnreferenced(List.of("k8s:app=a"))).containsExactly("k8s:app=a");
            assertThat(collector.all()).isEmpty();
            assertThat(other.allocate("k8s:app=a")).as("numbers are never reused").isGreaterThan(b);
        }
    }

    @Test
    void aReferenceToAKeyCollectedMeanwhileIsRefusedAndTheNodeComputesAgain() throws Exception {
        String prefix = "r2/";
        try (Etcd c1 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3)); Etcd c2 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            Store.Allocations collector = new EtcdStore(c1, log::add).allocations("identities", 256, 1000);
            int a = collector.allocate("k8s:app=a");
            assertThat(collector.releaseUnreferenced(List.of("k8s:app=a"))).containsExactly("k8s:app=a");

            // node2 still computes with the old number (its cache had not heard of the release)
            EtcdNodeRegistry node2 = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", Duration.ofSeconds(3), null), c2, log::add);
            AtomicInteger stale = new AtomicInteger();
            node2.start();
            try {
                node2.publishReferences("identities", Map.of("k8s:app=a", a), stale::incrementAndGet);
                EtcdNodeRegistryTest.await(() -> stale.get() > 0);
                assertThat(count(c1, EtcdKeys.refs("identities", "k8s:app=a"))).as("no reference to a collected number").isZero();
                assertThat(collector.all()).as("and the collected key is not brought back").isEmpty();

                int again = collector.allocate("k8s:app=a");
                assertThat(again).isGreaterThan(a);
                node2.publishReferences("identities", Map.of("k8s:app=a", again), stale::incrementAndGet);
                EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=a")) == 1);
            } finally {
                node2.stop();
            }
            assertThat(log).anyMatch(l -> l.contains("was collected or renumbered before node2 referenced it"));
        }
    }

    /**
     * The interleaving the guarded delete exists for, forced step by step: the collector reads the key with no
     * reference, then another node references it, then the collector's delete comes. The reference must win.
     */
    @Test
    void aReferenceWrittenBetweenTheCollectorsReadAndItsDeleteWins() throws Exception {
        String prefix = "r4/";
        try (Etcd c1 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3)); Etcd c2 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            EtcdAllocations collector = (EtcdAllocations) new EtcdStore(c1, log::add).allocations("identities", 256, 1000);
            int a = collector.allocate("k8s:app=a");
            long read = collector.unreferencedRevision("k8s:app=a");
            assertThat(read).as("unreferenced at the read").isPositive();

            EtcdNodeRegistry node2 = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", Duration.ofSeconds(3), null), c2, log::add);
            AtomicInteger stale = new AtomicInteger();
            node2.start();
            try {
                node2.publishReferences("identities", Map.of("k8s:app=a", a), stale::incrementAndGet);
                EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=a")) == 1);
                assertThat(stale).as("the key still held a, so the reference was accepted").hasValue(0);

                assertThat(collector.deleteIfUnchanged("k8s:app=a", read)).as("the delete guarded on the read's mod_revision").isZero();
                assertThat(collector.all()).as("the referenced key survives").containsEntry("k8s:app=a", a);
                assertThat(collector.unreferencedRevision("k8s:app=a")).as("and reads as referenced now").isZero();
            } finally {
                node2.stop();
            }
        }
    }

    /** The identity collector on etcd: the grace and the agent's own view, then the references. */
    @Test
    void theCollectorKeepsAnIdentityAnotherNodeReferences() throws Exception {
        String prefix = "r3/";
        try (Etcd c1 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3)); Etcd c2 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            EtcdStore store = new EtcdStore(c1, log::add);
            store.startOrRetry();
            EtcdNodeRegistryTest.await(store::live);
            StoreIdentityAllocator ids = new StoreIdentityAllocator(store);
            int a = ids.allocate(Map.of("k8s:app", "a"));
            int b = ids.allocate(Map.of("k8s:app", "b"));
            EtcdNodeRegistry node2 = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", Duration.ofSeconds(3), null), c2, log::add);
            node2.start();
            try {
                node2.publishReferences(StoreIdentityAllocator.ENDPOINT_TABLE,
                        Map.of(StoreIdentityAllocator.referenceKey(b, Map.of("k8s:app", "b")), b), () -> { });
                EtcdNodeRegistryTest.await(() -> count(c1, EtcdKeys.refs("identities", "k8s:app=b")) == 1);
                Instant t0 = Instant.now();
                assertThat(ids.collect(Set.of(), t0)).isEmpty();
                assertThat(ids.collect(Set.of(), t0.plus(StoreIdentityAllocator.GRACE).plusSeconds(1)))
                        .as("neither used here; b referenced by node2").containsExactly(a);
                assertThat(ids.all()).containsOnlyKeys(b);
            } finally {
                node2.stop();
                store.close();
            }
        }
    }

    private static long count(Etcd etcd, String prefix) {
        return EtcdReads.list(etcd, "count", List.of(EtcdReads.Range.under(prefix)), 0).kvs().size();
    }
}
