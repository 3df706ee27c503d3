package dev.weir.agent.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.yaml.ValidationException;

/**
 * The incremental engine against the full one: after every change of a random sequence (Services, slices,
 * overrides and nodes created, changed and deleted, over a small pool of names and addresses so that slices
 * share backends, bind and unbind), its state equals {@link ServiceEngine#resolve} of every object with the
 * same allocator, and what each update says it changed, applied to the previous state, gives the new one.
 */
class IncrementalServiceEngineTest {

    private static final Node NODE3 = new Node("node3", "weir-node3", "192.168.100.3", null);

    @Test
    void incrementalEqualsFullRecomputationOverRandomChanges() {
        for (long seed = 1; seed <= 40; seed++) {
            run(seed, 120);
        }
    }

    private static void run(long seed, int steps) {
        Random rnd = new Random(seed);
        InMemoryLbIdAllocator ids = new InMemoryLbIdAllocator();
        String node = rnd.nextBoolean() ? "node1" : "node2";
        IncrementalServiceEngine inc = new IncrementalServiceEngine(Lab.CONFIG, ids, node);
        Map<String, Service> services = new TreeMap<>();
        Map<String, EndpointSlice> slices = new TreeMap<>();
        BackendOverrides overrides = BackendOverrides.NONE;
        List<Node> nodes = Lab.NODES;
        inc.update(List.of(), List.of(), List.of(), List.of(), overrides, nodes);
        InMemoryLbIdAllocator counting = new InMemoryLbIdAllocator();
        IncrementalServiceEngine both = new IncrementalServiceEngine(Lab.CONFIG, counting, List.of("node1", "node2"));
        both.update(List.of(), List.of(), List.of(), List.of(), overrides, nodes);
        Model model = new Model();
        for (int step = 0; step < steps; step++) {
            List<Service> putS = new ArrayList<>();
            List<String> goneS = new ArrayList<>();
            List<EndpointSlice> putE = new ArrayList<>();
            List<String> goneE = new ArrayList<>();
            int ops = 1 + rnd.nextInt(3);
            for (int o = 0; o < ops; o++) {
                int what = rnd.nextInt(10);
                if (what < 3) {
                    Service s = randomService(rnd);
                    putS.removeIf(x -> x.key().equals(s.key()));
                    goneS.remove(s.key());
                    putS.add(s);
                } else if (what < 4 && !services.isEmpty()) {
                    String k = new ArrayList<>(services.keySet()).get(rnd.nextInt(services.size()));
                    putS.removeIf(x -> x.key().equals(k));
                    if (!goneS.contains(k)) {
                        goneS.add(k);
                    }
                } else if (what < 7) {
                    EndpointSlice es = randomSlice(rnd);
                    putE.removeIf(x -> x.key().equals(es.key()));
                    goneE.remove(es.key());
                    putE.add(es);
                } else if (what < 8 && !slices.isEmpty()) {
                    String k = new ArrayList<>(slices.keySet()).get(rnd.nextInt(slices.size()));
                    putE.removeIf(x -> x.key().equals(k));
                    if (!goneE.contains(k)) {
                        goneE.add(k);
                    }
                } else if (what < 9) {
                    overrides = randomOverrides(rnd);
                } else {
                    nodes = rnd.nextInt(3) == 0 ? List.of(Lab.NODE1, Lab.NODE2, NODE3) : Lab.NODES;
                }
            }
            goneS.removeIf(k -> !services.containsKey(k));
            goneE.removeIf(k -> !slices.containsKey(k));
            goneS.forEach(services::remove);
            putS.forEach(s -> services.put(s.key(), s));
            goneE.forEach(slices::remove);
            putE.forEach(e -> slices.put(e.key(), e));
            LbChange change = inc.update(putS, goneS, putE, goneE, overrides, nodes);
            both.update(putS, goneS, putE, goneE, overrides, nodes);
            for (LbNodeView v : both.views()) {
                LbState expected = new ServiceEngine(Lab.CONFIG, counting).resolve(List.copyOf(services.values()),
                        List.copyOf(slices.values()), nodes, v.node(), overrides);
                assertThat(LbStateDump.dump(v.state())).as("seed %d step %d, %s of two", seed, step, v.node())
                        .isEqualTo(LbStateDump.dump(expected));
            }
            LbState full = new ServiceEngine(Lab.CONFIG, ids).resolve(List.copyOf(services.values()),
                    List.copyOf(slices.values()), nodes, node, overrides);
            LbState now = inc.state();
            assertThat(LbStateDump.dump(now)).as("seed %d step %d", seed, step).isEqualTo(LbStateDump.dump(full));
            assertThat(now).as("seed %d step %d", seed, step).isEqualTo(full);
            model.apply(change);
            assertThat(model.frontends).as("seed %d step %d: frontends from the changes", seed, step)
                    .isEqualTo(Model.frontends(now));
            assertThat(model.services).as("seed %d step %d: services from the changes", seed, step)
                    .isEqualTo(Model.services(now));
            assertThat(model.backends).as("seed %d step %d: backends from the changes", seed, step)
                    .isEqualTo(Model.backends(now));
            LbNodeView.Counts c = inc.counts();
            assertThat(c.services()).isEqualTo(now.services().size());
            assertThat(c.backends()).isEqualTo(now.backends().size());
            assertThat(c.frontends()).isEqualTo(now.frontends().size());
            assertThat(c.slots()).isEqualTo(now.services().stream().mapToLong(s -> s.slots().size()).sum());
        }
    }

    /** The maps as a writer that applies only the changes would have them. */
    private static final class Model {
        final Map<String, LbFrontend> frontends = new TreeMap<>();
        final Map<String, LbService> services = new TreeMap<>();
        final Map<String, LbBackend> backends = new TreeMap<>();

        void apply(LbChange c) {
            c.frontendsBefore().forEach(f -> frontends.remove(f.key() + " " + f.clientScope()));
            c.frontendsAfter().forEach(f -> frontends.put(f.key() + " " + f.clientScope(), f));
            c.servicesBefore().forEach(s -> services.remove(s.key()));
            c.servicesAfter().forEach(s -> services.put(s.key(), s));
            c.backendsBefore().forEach(b -> backends.remove(b.key()));
            c.backendsAfter().forEach(b -> backends.put(b.key(), b));
        }

        static Map<String, LbFrontend> frontends(LbState s) {
            Map<String, LbFrontend> m = new TreeMap<>();
            s.frontends().forEach(f -> m.put(f.key() + " " + f.clientScope(), f));
            return m;
        }

        static Map<String, LbService> services(LbState s) {
            Map<String, LbService> m = new TreeMap<>();
            s.services().forEach(x -> m.put(x.key(), x));
            return m;
        }

        static Map<String, LbBackend> backends(LbState s) {
            Map<String, LbBackend> m = new TreeMap<>();
            s.backends().forEach(b -> m.put(b.key(), b));
            return m;
        }
    }

    private static final String[] NAMES = {"s0", "s1", "s2", "s3", "s4"};

    /** One of five services, each with its own ClusterIP and NodePorts, in a random shape. */
    private static Service randomService(Random rnd) {
        int i = rnd.nextInt(NAMES.length);
        StringBuilder spec = new StringBuilder();
        boolean nodePort = rnd.nextBoolean();
        boolean dual = rnd.nextInt(3) == 0;
        spec.append("  type: ").append(nodePort ? "NodePort" : "ClusterIP").append('\n');
        if (dual) {
            spec.append("  clusterIP: 10.96.1.").append(10 + i).append("\n  clusterIPs: [10.96.1.").append(10 + i)
                    .append(", \"fd00:10:96::").append(10 + i).append("\"]\n  ipFamilyPolicy: RequireDualStack\n");
        } else {
            spec.append("  clusterIP: 10.96.1.").append(10 + i).append('\n');
        }
        if (nodePort && rnd.nextBoolean()) {
            spec.append("  externalTrafficPolicy: Local\n");
        }
        if (rnd.nextInt(3) == 0) {
            spec.append("  internalTrafficPolicy: Local\n");
        }
        spec.append("  ports:\n  - {name: http, port: 80, protocol: TCP")
                .append(nodePort ? ", nodePort: " + (30100 + 2 * i) : "").append("}\n");
        if (rnd.nextBoolean()) {
            spec.append("  - {name: dns, port: 53, protocol: UDP").append(nodePort ? ", nodePort: " + (30101 + 2 * i) : "")
                    .append("}\n");
        }
        String meta = rnd.nextInt(4) == 0
                ? "metadata: {name: " + NAMES[i] + ", namespace: x, annotations: {weir.dev/lb-algorithm: maglev,"
                        + " weir.dev/maglev-table-size: \"7\"}}\n"
                : "metadata: {name: " + NAMES[i] + ", namespace: x}\n";
        return Lab.parse("apiVersion: v1\nkind: Service\n" + meta + "spec:\n" + spec).services().getFirst();
    }

    /** One of eight slices, bound to one of six service names (s5 never exists), over six shared addresses. */
    private static EndpointSlice randomSlice(Random rnd) {
        String name = "e" + rnd.nextInt(8);
        String service = "s" + rnd.nextInt(6);
        boolean udp = rnd.nextInt(3) == 0;
        StringBuilder eps = new StringBuilder();
        int n = rnd.nextInt(5);
        for (int j = 0; j < n; j++) {
            String cond = switch (rnd.nextInt(4)) {
                case 0 -> "{ready: false}";
                case 1 -> "{ready: true, terminating: true}";
                default -> "{ready: true}";
            };
            eps.append("- {addresses: [10.244.1.").append(1 + rnd.nextInt(6)).append("], conditions: ").append(cond)
                    .append(rnd.nextBoolean() ? ", nodeName: node1" : rnd.nextBoolean() ? ", nodeName: node2" : "")
                    .append("}\n");
        }
        String yaml = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + name
                + "\n  namespace: x\n  labels: {kubernetes.io/service-name: " + service + "}\naddressType: IPv4\n"
                + "ports:\n- {name: " + (udp ? "dns, port: 5353, protocol: UDP" : "http, port: " + (rnd.nextBoolean() ? 8080 : 8081))
                + "}\nendpoints:" + (n == 0 ? " []\n" : "\n" + eps);
        return Lab.parse(yaml).slices().getFirst();
    }

    private static BackendOverrides randomOverrides(Random rnd) {
        Map<String, BackendState> m = new TreeMap<>();
        for (int j = rnd.nextInt(3); j > 0; j--) {
            String addr = "10.244.1." + (1 + rnd.nextInt(6));
            String key = rnd.nextBoolean() ? addr : addr + ":" + (rnd.nextBoolean() ? 8080 : 8081) + "/TCP";
            m.put(key, rnd.nextBoolean() ? BackendState.QUARANTINED : BackendState.MAINTENANCE);
        }
        return new BackendOverrides(m);
    }

    @Test
    void aClashThrowsTheCatalogsErrorAndBreaksTheEngine() {
        IncrementalServiceEngine inc = new IncrementalServiceEngine(Lab.CONFIG, new InMemoryLbIdAllocator(), "node1");
        Service a = Lab.service(Lab.svc("a", "  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n"));
        Service b = Lab.service(Lab.svc("b", "  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n"));
        inc.update(List.of(a), List.of(), List.of(), List.of(), BackendOverrides.NONE, Lab.NODES);
        assertThatThrownBy(() -> inc.update(List.of(b), List.of(), List.of(), List.of(), BackendOverrides.NONE, Lab.NODES))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("clusterIP 10.96.0.10 is already taken by Service x/a");
        assertThat(inc.broken()).isTrue();
    }
}
