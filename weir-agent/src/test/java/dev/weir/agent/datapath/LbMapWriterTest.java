package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.service.LbState;
import dev.weir.agent.service.LabServiceConfig;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.agent.service.ServiceEngine;
import dev.weir.agent.service.ServiceObjects;
import dev.weir.agent.service.ServiceParser;
import dev.weir.datapath.lb.LbMaglevKey;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;

/** {@link LbMapWriter} writes diffs: operations counted on in-memory maps. */
class LbMapWriterTest {

    private static final int SERVICES = 2000;
    private static final List<Node> NODES = List.of(new Node("node1", "weir-node1", "192.168.100.1", null));
    private static final InMemoryLbIdAllocator IDS = new InMemoryLbIdAllocator();
    private static LbState before;
    private static LbState after;

    /** {@code SERVICES} ClusterIP services with 10 backends each; {@code after} moves one backend of one of them. */
    @BeforeAll
    static void states() {
        before = resolve(yaml(-1));
        after = resolve(yaml(1234));
    }

    private static String yaml(int moved) {
        StringBuilder y = new StringBuilder();
        for (int i = 0; i < SERVICES; i++) {
            y.append("apiVersion: v1\nkind: Service\nmetadata: {name: s").append(i).append(", namespace: x}\n")
                    .append("spec: {clusterIP: 10.96.").append(i / 250).append('.').append(i % 250 + 1)
                    .append(", ports: [{port: 80}]}\n---\n");
            y.append("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s").append(i)
                    .append(", namespace: x, labels: {kubernetes.io/service-name: s").append(i).append("}}\n")
                    .append("addressType: IPv4\nports: [{name: \"\", port: 80}]\nendpoints:\n");
            for (int b = 0; b < 10; b++) {
                int host = i == moved && b == 3 ? 200 : b + 1;
                y.append("- {addresses: [10.").append(i / 250).append('.').append(i % 250).append('.').append(host)
                        .append("], nodeName: node1}\n");
            }
            y.append("---\n");
        }
        return y.toString();
    }

    private static LbState resolve(String yaml) {
        ServiceObjects o = new ServiceParser(LabServiceConfig.lab()).parse(yaml, "gen.yaml");
        return new ServiceEngine(LabServiceConfig.lab(), IDS).resolve(o.services(), o.slices(), NODES, "node1");
    }

    @Test
    void oneChangedBackendWritesOnlyItsService() {
        Maps m = new Maps();
        LbMapWriter w = new LbMapWriter(m.tables());
        w.write(before);
        assertThat(m.svc.map).hasSize(SERVICES);
        assertThat(m.backend.map).hasSize(SERVICES * 10);
        assertThat(m.slot.map).hasSize(SERVICES * 10);
        m.reset();

        w.write(after);
        // the moved backend is new and the old one gone; the service's 10 slots under its idle generation,
        // its one frontend flipped; nothing else touched
        assertThat(m.counts()).isEqualTo("svc 1/0 slot 10/0 backend 1/1 revnat 0/0 maglev 0/0");
        assertConsistent(m, after);
        m.reset();

        w.write(after);
        // the superseded generation goes one write later, once no frontend names it
        assertThat(m.counts()).isEqualTo("svc 0/0 slot 0/10 backend 0/0 revnat 0/0 maglev 0/0");
        m.reset();
        w.write(after);
        assertThat(m.counts()).isEqualTo("svc 0/0 slot 0/0 backend 0/0 revnat 0/0 maglev 0/0");
        assertThat(m.slot.map).hasSize(SERVICES * 10);
    }

    @Test
    void restartedWriterRecoversWhatTheMapsHold() {
        Maps m = new Maps();
        new LbMapWriter(m.tables()).write(before);
        LbMapWriter again = new LbMapWriter(m.tables());
        m.reset();
        again.write(before);
        assertThat(m.counts()).isEqualTo("svc 0/0 slot 0/0 backend 0/0 revnat 0/0 maglev 0/0");
        again.write(after);
        assertThat(m.counts()).isEqualTo("svc 1/0 slot 10/0 backend 1/1 revnat 0/0 maglev 0/0");
        assertConsistent(m, after);

        // a writer restarted between a flip and the next write finds the superseded generation and deletes it
        LbMapWriter third = new LbMapWriter(m.tables());
        m.reset();
        third.write(after);
        assertThat(m.counts()).isEqualTo("svc 0/0 slot 0/10 backend 0/0 revnat 0/0 maglev 0/0");
    }

    @Test
    void removedServicesGoFrontendsFirst() {
        Maps m = new Maps();
        LbMapWriter w = new LbMapWriter(m.tables());
        w.write(after);
        w.write(new LbState("node1", List.of(), List.of(), List.of(), List.of(), List.of()));
        assertThat(m.svc.map).isEmpty();
        assertThat(m.slot.map).isEmpty();
        assertThat(m.backend.map).isEmpty();
        assertThat(m.revnat.map).isEmpty();
        assertThat(m.order.indexOf("svc-")).isLessThan(m.order.indexOf("slot-")).isLessThan(m.order.indexOf("backend-"));
    }

    @Test
    void writingTheChangesGivesTheMapsThatDiffingTheWholeStateGives() {
        ServiceObjects all = new ServiceParser(LabServiceConfig.lab()).parse(yaml(-1), "gen.yaml");
        dev.weir.agent.service.IncrementalServiceEngine engine = new dev.weir.agent.service.IncrementalServiceEngine(
                LabServiceConfig.lab(), new InMemoryLbIdAllocator(), "node1");
        Maps changes = new Maps();
        Maps whole = new Maps();
        LbMapWriter byChange = new LbMapWriter(changes.tables());
        LbMapWriter byState = new LbMapWriter(whole.tables());
        var c = engine.update(all.services(), List.of(), all.slices(), List.of(),
                dev.weir.agent.service.BackendOverrides.NONE, NODES).between(-1, 0);
        byChange.write(engine.state(), c);
        byState.write(engine.state());
        java.util.Random rnd = new java.util.Random(7);
        for (int step = 1; step <= 30; step++) {
            int i = rnd.nextInt(SERVICES);
            ServiceObjects one = new ServiceParser(LabServiceConfig.lab()).parse(sliceYaml(i, rnd.nextInt(5), 100 + step), "gen.yaml");
            List<String> gone = rnd.nextInt(6) == 0 ? List.of("x/s" + rnd.nextInt(SERVICES)) : List.of();
            c = engine.update(List.of(), gone, one.slices(), List.of(), dev.weir.agent.service.BackendOverrides.NONE, NODES)
                    .between(step - 1, step);
            changes.reset();
            byChange.write(engine.state(), c);
            assertThat(changes.svc.puts + changes.slot.puts + changes.backend.puts).as("step %d", step).isLessThan(100);
            byState.write(engine.state());
            assertThat(changes.svc.map).as("step %d", step).isEqualTo(whole.svc.map);
            assertThat(changes.slot.map).as("step %d", step).isEqualTo(whole.slot.map);
            assertThat(changes.backend.map).as("step %d", step).isEqualTo(whole.backend.map);
            assertThat(changes.revnat.map).as("step %d", step).isEqualTo(whole.revnat.map);
            assertThat(changes.maglev.map).as("step %d", step).isEqualTo(whole.maglev.map);
        }
    }

    /** Service {@code i}'s slice with {@code n} of its backends and one at host {@code host}. */
    private static String sliceYaml(int i, int n, int host) {
        StringBuilder y = new StringBuilder("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s").append(i)
                .append(", namespace: x, labels: {kubernetes.io/service-name: s").append(i).append("}}\n")
                .append("addressType: IPv4\nports: [{name: \"\", port: 80}]\nendpoints:\n");
        for (int b = 0; b < n; b++) {
            y.append("- {addresses: [10.").append(i / 250).append('.').append(i % 250).append('.').append(b + 1).append("]}\n");
        }
        y.append("- {addresses: [10.").append(i / 250).append('.').append(i % 250).append('.').append(host).append("]}\n");
        return y.toString();
    }

    /** Every frontend's generation holds exactly its count slots, each naming a backend; nothing else is there. */
    private static void assertConsistent(Maps m, LbState state) {
        int slots = 0;
        Map<Integer, LbSvcVal> bySvc = new HashMap<>();
        m.svc.map.values().forEach(v -> bySvc.put(v.svcId(), v));
        for (LbSvcVal v : bySvc.values()) {
            for (int i = 1; i <= v.count(); i++) {
                Integer be = m.slot.map.get(new LbSlotKey(v.svcId(), i, v.gen()));
                assertThat(be).isNotNull();
                assertThat(m.backend.map).containsKey(be);
                slots++;
            }
        }
        assertThat(m.svc.map).hasSize(state.frontends().size());
        assertThat(m.backend.map).hasSize(state.backends().size());
        // the current generations plus the one superseded generation (10 slots) awaiting deletion
        assertThat(m.slot.map).hasSize(slots + 10);
    }

    /** In-memory maps that count puts and deletes and record the order of first operations per map. */
    private static final class Maps {
        final Counting<LbSvcKey, LbSvcVal> svc = new Counting<>("svc");
        final Counting<LbSlotKey, Integer> slot = new Counting<>("slot");
        final Counting<Integer, dev.weir.datapath.lb.LbBackend> backend = new Counting<>("backend");
        final Counting<Integer, dev.weir.datapath.lb.LbFrontend> revnat = new Counting<>("revnat");
        final Counting<LbMaglevKey, Integer> maglev = new Counting<>("maglev");
        final StringBuilder order = new StringBuilder();

        LbTables tables() {
            return new LbTables(svc, slot, backend, revnat, maglev);
        }

        void reset() {
            List.of(svc, slot, backend, revnat, maglev).forEach(c -> c.puts = c.deletes = 0);
            order.setLength(0);
        }

        String counts() {
            StringBuilder sb = new StringBuilder();
            for (Counting<?, ?> c : List.of(svc, slot, backend, revnat, maglev)) {
                sb.append(sb.isEmpty() ? "" : " ").append(c.name).append(' ').append(c.puts).append('/').append(c.deletes);
            }
            return sb.toString();
        }

        private final class Counting<K, V> implements LbTables.Table<K, V> {
            final String name;
            final Map<K, V> map = new HashMap<>();
            int puts;
            int deletes;

            Counting(String name) {
                this.name = name;
            }

            @Override
            public void put(K key, V value) {
                puts++;
                map.put(key, value);
            }

            @Override
            public void delete(K key) {
                deletes++;
                if (map.remove(key) != null && order.indexOf(name + "-") < 0) {
                    order.append(name).append("- ");
                }
            }

            @Override
            public Map<K, V> entries() {
                return new HashMap<>(map);
            }
        }
    }
}
