package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.service.BackendOverrides;
import dev.weir.agent.service.BackendState;
import dev.weir.agent.service.EndpointSlice;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.service.LbStateDump;
import dev.weir.agent.service.Service;
import dev.weir.agent.service.ServiceCatalog;
import dev.weir.agent.service.LabServiceConfig;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.agent.service.ServiceObjects;
import dev.weir.agent.service.ServiceParser;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.yaml.ValidationException;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * {@link ClusterCompiler} per change against the same from scratch, over random commits through a store (as
 * {@code weir apply} makes them): every commit's check accepts or refuses with the message the full
 * catalog check gives (ClusterIPs and NodePorts from small pools, so clashes are frequent), and after every
 * accepted commit the computation kept up to date per change equals a new compiler's computation of every
 * object.
 */
class IncrementalComputationTest {

    private static final ClusterState CLUSTER = new ClusterState(List.of(
            new Node("node1", "weir-node1", "192.168.100.1", null), new Node("node2", "weir-node2", "192.168.100.2", null)),
            List.of(), List.of());
    private static final LbMapSizes BIG = LbMapSizes.parse(List.of("lb_backend=1000000"));

    @TempDir
    Path dir;

    @Test
    void perChangeEqualsFromScratchOverRandomCommits() {
        FileStore store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        InMemoryLbIdAllocator ids = new InMemoryLbIdAllocator();
        ClusterCompiler compiler = new ClusterCompiler(ids, BIG, LabServiceConfig.lab());
        StoreIdentityAllocator identities = new StoreIdentityAllocator(store);
        Random rnd = new Random(11);
        int refused = 0;
        for (int step = 0; step < 300; step++) {
            List<Change> changes = changes(rnd, store);
            if (changes.isEmpty()) {
                continue;
            }
            String expected = expectedCheck(store.list(), changes);
            String got = null;
            try {
                store.commit(changes, (before, after) -> compiler.check("node1", CLUSTER, before, after));
            } catch (PolicyInputException e) {
                got = e.getMessage();
            }
            assertThat(got).as("step %d: %s", step, changes).isEqualTo(expected);
            refused += got == null ? 0 : 1;
            Store.Snapshot s = store.snapshot();
            String node = rnd.nextBoolean() ? "node1" : "node2";
            StateCompiler.Input input = new StateCompiler.Input(node, CLUSTER, s.objects(), s.revision(), identities);
            if (node.equals("node1")) {
                ComputedState inc = compiler.compile(input);
                ComputedState full = new ClusterCompiler(ids, BIG, LabServiceConfig.lab()).compile(input);
                assertThat(LbStateDump.dump(inc.services())).as("step %d", step).isEqualTo(LbStateDump.dump(full.services()));
                assertThat(inc.services()).isEqualTo(full.services());
            }
        }
        assertThat(refused).as("commits refused").isBetween(10, 250);
    }

    /** One to three puts or deletes of Services, slices and overrides over small pools of names and addresses. */
    private static List<Change> changes(Random rnd, Store store) {
        List<Change> out = new ArrayList<>();
        Set<ObjectKey> keys = new java.util.HashSet<>();
        for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
            int what = rnd.nextInt(10);
            Change c;
            if (what < 4) {
                int i = rnd.nextInt(6);
                String extra = rnd.nextBoolean() ? ", nodePort: " + (30100 + rnd.nextInt(3)) : "";
                String doc = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s" + i + "\",\"namespace\":\"x\"},"
                        + "\"spec\":{\"type\":\"" + (extra.isEmpty() ? "ClusterIP" : "NodePort") + "\",\"clusterIP\":\"10.96.1."
                        + (10 + rnd.nextInt(4)) + "\",\"ports\":[{\"name\":\"http\",\"port\":80" + extra + "}]}}";
                c = new Change.Put(new ObjectKey("Service", "x", "s" + i), doc, "s" + i + ".yaml");
            } else if (what < 8) {
                int i = rnd.nextInt(8);
                StringBuilder eps = new StringBuilder();
                for (int e = rnd.nextInt(4); e > 0; e--) {
                    eps.append(eps.isEmpty() ? "" : ",").append("{\"addresses\":[\"10.244.1.").append(1 + rnd.nextInt(5))
                            .append("\"],\"conditions\":{\"ready\":").append(rnd.nextInt(4) > 0).append("},\"nodeName\":\"node")
                            .append(1 + rnd.nextInt(2)).append("\"}");
                }
                String doc = "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"e" + i
                        + "\",\"namespace\":\"x\",\"labels\":{\"kubernetes.io/service-name\":\"s" + rnd.nextInt(7) + "\"}},"
                        + "\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"http\",\"port\":8080}],\"endpoints\":[" + eps + "]}";
                c = new Change.Put(new ObjectKey("EndpointSlice", "x", "e" + i), doc, "e" + i + ".yaml");
            } else if (what < 9) {
                String key = "10.244.1." + (1 + rnd.nextInt(5));
                c = new Change.Put(new ObjectKey(BackendOverrides.KIND, "", key),
                        BackendOverrides.document(key, BackendState.MAINTENANCE), "weir service backend");
            } else {
                List<StoredObject> all = store.list();
                if (all.isEmpty()) {
                    continue;
                }
                c = new Change.Delete(all.get(rnd.nextInt(all.size())).key());
            }
            if (keys.add(c.key())) {
                out.add(c);
            }
        }
        return out;
    }

    /** The full check's answer: {@link ServiceCatalog} over every object, the unchanged Services first; null when it passes. */
    private static String expectedCheck(List<StoredObject> before, List<Change> changes) {
        java.util.Map<ObjectKey, StoredObject> after = new java.util.TreeMap<>();
        before.forEach(o -> after.put(o.key(), o));
        Set<ObjectKey> changed = changes.stream().map(Change::key).collect(Collectors.toSet());
        for (Change c : changes) {
            if (c instanceof Change.Put p) {
                StoredObject old = after.get(p.key());
                if (old == null || !old.document().equals(p.document())) {
                    after.put(p.key(), new StoredObject(p.key(), p.document(), p.source(), 0));
                } else {
                    changed.remove(p.key());
                }
            } else {
                after.remove(c.key());
            }
        }
        ServiceParser parser = new ServiceParser(LabServiceConfig.lab());
        List<Service> services = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        Set<String> established = new java.util.HashSet<>();
        for (StoredObject o : after.values()) {
            if (o.key().kind().equals(BackendOverrides.KIND)) {
                continue;
            }
            ServiceObjects p = parser.parse(o.document(), o.source());
            services.addAll(p.services());
            slices.addAll(p.slices());
            if (!changed.contains(o.key())) {
                established.add(o.key().namespace() + "/" + o.key().name());
            }
        }
        try {
            ServiceCatalog.build(services, slices, CLUSTER.nodes(), LabServiceConfig.lab(), established);
            return null;
        } catch (ValidationException e) {
            return new PolicyInputException(e.file(), e.object(), e.path(), e.problem()).getMessage();
        }
    }
}
