package dev.weir.agent.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.NodeRecord;

/** Node records and endpoints through a real 3-member etcd: published, seen by another node, gone with the lease. */
class EtcdNodeRegistryTest {

    @org.junit.jupiter.api.extension.RegisterExtension
    static final EtcdFixture.PerClass CLUSTER = EtcdFixture.perClass(3);
    private final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());


    static NodeRecord record(String node, long applied) {
        return new NodeRecord(node, "weir-" + node, "192.168.100.1", null, "host", 1, "now", "test", applied, 0, null, 1, "now");
    }

    static EndpointRecord endpoint(String node, String ns, String pod, String ip) {
        return new EndpointRecord(7, ns, pod, Map.of("pod", pod), Map.of("ns", ns), node, ip, null, "lxc-" + pod, null);
    }

    @Test
    void anotherNodeSeesRecordsAndEndpointsAndTheirChanges() throws Exception {
        String prefix = "t1/";
        try (Etcd c1 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3)); Etcd c2 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            EtcdNodeRegistry one = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node1", null, null), c1, log::add);
            EtcdNodeRegistry two = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", null, null), c2, log::add);
            one.start();
            two.start();
            try {
                one.publishNode(record("node1", 5));
                one.publishEndpoints(List.of(endpoint("node1", "x", "a", "10.0.0.1"), endpoint("node1", "x", "b", "10.0.0.2")));
                await(() -> two.remoteEndpoints().size() == 2 && two.nodes().containsKey("node1"));
                assertThat(two.nodes().get("node1").appliedRevision()).isEqualTo(5);
                assertThat(two.remoteEndpoints().get("node1/x/a").endpoint().ipv4()).isEqualTo("10.0.0.1");
                assertThat(two.remoteEndpoints().get("node1/x/a").namespaceLabels()).containsEntry("ns", "x");
                assertThat(one.remoteEndpoints()).as("a node's own endpoints are not remote to it").isEmpty();

                long v = two.version();
                one.publishNode(record("node1", 6));
                one.publishEndpoints(List.of(endpoint("node1", "x", "a", "10.0.0.9")));
                await(() -> two.remoteEndpoints().size() == 1 && two.nodes().get("node1").appliedRevision() == 6);
                assertThat(two.remoteEndpoints().get("node1/x/a").endpoint().ipv4()).isEqualTo("10.0.0.9");
                assertThat(two.version()).isGreaterThan(v);
                assertThat(one.lastError()).isNull();
            } finally {
                one.stop();
                two.stop();
            }
        }
    }

    @Test
    void registriesOnASharedSchedulerStartNoThreadAndLeaveItRunningWhenTheyStop() throws Exception {
        String prefix = "t4/";
        java.util.concurrent.ScheduledThreadPoolExecutor shared = new java.util.concurrent.ScheduledThreadPoolExecutor(2);
        shared.setRemoveOnCancelPolicy(true);
        try (Etcd c = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            java.util.Set<Thread> before = weirThreads();
            EtcdNodeRegistry one = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node1", null, Duration.ofMillis(200)),
                    c, shared, log::add);
            EtcdNodeRegistry two = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", null, Duration.ofMillis(200)),
                    c, shared, log::add);
            one.start();
            two.start();
            try {
                one.publishNode(record("node1", 1));
                one.publishEndpoints(List.of(endpoint("node1", "x", "a", "10.0.0.1"), endpoint("node1", "x", "b", "10.0.0.2")));
                two.publishNode(record("node2", 1));
                await(() -> two.endpoint("node1/x/b").isPresent() && two.nodeCount() == 2 && one.nodeCount() == 2
                        && one.endpoint("node1/x/a").isPresent());
                assertThat(two.endpoint("node1/x/b").orElseThrow().ipv4()).isEqualTo("10.0.0.2");
                assertThat(two.endpoint("node1/x/zz")).isEmpty();
                assertThat(one.endpoint("node1/x/a")).as("its own endpoint, through its watch").isPresent();
                assertThat(two.endpointCount()).isEqualTo(2);
                assertThat(weirThreads()).as("no thread of their own").isSubsetOf(before);

                // heartbeats (every 200 ms) go on for both on the two shared threads
                String beat = heartbeat(c, "node1");
                await(() -> !heartbeat(c, "node1").equals(beat));
            } finally {
                one.stop();
            }
            assertThat(shared.isShutdown()).isFalse();
            String beat = heartbeat(c, "node2");
            await(() -> !heartbeat(c, "node2").equals(beat));
            two.stop();
            assertThat(shared.getQueue()).as("every task of both was cancelled").isEmpty();
            assertThat(shared.submit(() -> 42).get()).isEqualTo(42);
        } finally {
            shared.shutdownNow();
        }
    }

    private static java.util.Set<Thread> weirThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("weir-etcd-"))
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void aNodeGoneForGoodLeavesWhenItsLeaseExpiresButARestartKeepsItsRecords() throws Exception {
        String prefix = "t2/";
        try (Etcd c1 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3)); Etcd c2 = CLUSTER.get().connect(prefix, Duration.ofSeconds(3))) {
            EtcdNodeRegistry.Config short1 = new EtcdNodeRegistry.Config("node1", Duration.ofSeconds(3), null);
            EtcdNodeRegistry watcher = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", null, null), c2, log::add);
            watcher.start();
            EtcdNodeRegistry first = new EtcdNodeRegistry(short1, c1, log::add);
            first.start();
            first.publishNode(record("node1", 1));
            first.publishEndpoints(List.of(endpoint("node1", "x", "a", "10.0.0.1"), endpoint("node1", "x", "old", "10.0.0.3")));
            await(() -> watcher.remoteEndpoints().size() == 2);
            first.stop();

            // a restart within the TTL: the new agent takes the records over (and drops what it no longer has)
            EtcdNodeRegistry second = new EtcdNodeRegistry(short1, c1, log::add);
            second.start();
            second.publishNode(record("node1", 1));
            second.publishEndpoints(List.of(endpoint("node1", "x", "a", "10.0.0.1")));
            await(() -> watcher.remoteEndpoints().keySet().equals(java.util.Set.of("node1/x/a")));
            Thread.sleep(4500);
            assertThat(watcher.remoteEndpoints()).containsOnlyKeys("node1/x/a");
            assertThat(watcher.nodes()).containsKey("node1");

            // gone for good: the lease expires and the node and its endpoints leave the view
            second.stop();
            await(() -> watcher.remoteEndpoints().isEmpty() && !watcher.nodes().containsKey("node1"));
            watcher.stop();
        }
    }

    @Test
    void aWatchThatMissedACompactionListsAgainAndEndsIdentical() throws Exception {
        String prefix = "t3/";
        var member = CLUSTER.get().cluster().member("etcd1");
        Etcd.Config one = new Etcd.Config(List.of(java.net.URI.create(member.clientUrl())), prefix, Duration.ofSeconds(2));
        try (Etcd only1 = Etcd.connect(one); Etcd other = CLUSTER.get().connect(prefix, Duration.ofSeconds(5))) {
            var kv = other.client().getKVClient();
            other.call("put", () -> kv.put(other.key("w/keep"), Etcd.bytes("1")));
            other.call("put", () -> kv.put(other.key("w/gone"), Etcd.bytes("1")));
            WatchedPrefix w = new WatchedPrefix(only1, "w/", log::add);
            List<WatchedPrefix.Update> updates = java.util.Collections.synchronizedList(new ArrayList<>());
            w.addListener(updates::add);
            w.start();
            assertThat(w.entries()).containsOnlyKeys("gone", "keep");
            try {
                CLUSTER.get().cluster().kill("etcd1");
                // while etcd1 (perhaps the leader) is gone, writes may wait for a new leader: retry them
                retry(() -> other.call("delete", () -> kv.delete(other.key("w/gone"))));
                retry(() -> other.call("put", () -> kv.put(other.key("w/new"), Etcd.bytes("2"))));
                retry(() -> other.call("put", () -> kv.put(other.key("w/keep"), Etcd.bytes("3"))));
                long rev = retry(() -> other.call("get", () -> kv.get(other.key("w/keep")))).getHeader().getRevision();
                retry(() -> other.call("compact", () -> kv.compact(rev)));
                CLUSTER.get().cluster().restart("etcd1", Duration.ofSeconds(30));
                await(() -> w.entries().keySet().equals(java.util.Set.of("keep", "new"))
                        && new String(w.entries().get("keep").value()).equals("3"));
                assertThat(w.lists()).as("listed again after the compaction").isGreaterThanOrEqualTo(2);
                // the copy changes before its listeners hear of it
                await(() -> updates.stream().anyMatch(u -> u.relisted() && u.deletes().contains("gone")));
            } finally {
                w.close();
            }
        }
    }

    /** An agent starting while etcd does not answer: start(false) returns without waiting, and the view follows. */
    @Test
    void aRegistryStartedInTheBackgroundCatchesUpOnceEtcdAnswers() throws Exception {
        String prefix = "t5/";
        var member = CLUSTER.get().cluster().member("etcd2");
        // a long timeout: a start that listed first would wait two of them
        Etcd.Config one = new Etcd.Config(List.of(java.net.URI.create(member.clientUrl())), prefix, Duration.ofSeconds(30));
        try (Etcd only2 = Etcd.connect(one); Etcd other = CLUSTER.get().connect(prefix, Duration.ofSeconds(5))) {
            EtcdNodeRegistry publisher = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node1", null, null), other, log::add);
            publisher.start();
            EtcdNodeRegistry late = new EtcdNodeRegistry(new EtcdNodeRegistry.Config("node2", null, null), only2, log::add);
            CLUSTER.get().cluster().pause("etcd2");
            try {
                long t0 = System.nanoTime();
                late.start(false);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("start(false) does not wait for etcd")
                        .isLessThan(Duration.ofSeconds(15));
                publisher.publishNode(record("node1", 3));
                publisher.publishEndpoints(List.of(endpoint("node1", "x", "a", "10.0.0.1")));
                assertThat(late.live()).as("nothing listed while its member hangs").isFalse();
                assertThat(late.nodes()).isEmpty();
            } finally {
                CLUSTER.get().cluster().resume("etcd2");
            }
            try {
                await(() -> late.live() && late.nodes().containsKey("node1") && late.remoteEndpoints().size() == 1);
                assertThat(late.nodes().get("node1").appliedRevision()).isEqualTo(3);
            } finally {
                late.stop();
                publisher.stop();
            }
        }
    }

    static <T> T retry(java.util.function.Supplier<T> op) {
        for (int i = 0; ; i++) {
            try {
                return op.get();
            } catch (dev.weir.agent.store.StoreException e) {
                if (i == 5) {
                    throw e;
                }
            }
        }
    }

    /** {@code heartbeats/<node>} as etcd has it now ("" when absent). */
    static String heartbeat(Etcd c, String node) {
        var kvs = c.call("get", () -> c.client().getKVClient().get(c.key("heartbeats/" + node))).getKvs();
        return kvs.isEmpty() ? "" : Etcd.string(kvs.getFirst().getValue());
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(50);
        }
    }
}
