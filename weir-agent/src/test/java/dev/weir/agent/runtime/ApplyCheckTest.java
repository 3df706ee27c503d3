package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.StoredObject;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * {@code weir apply}'s checks of the whole new state, made under the store's lock before the commit
 * (as {@code AgentApi.apply} does): a clash or a state that would not fit the maps changes nothing.
 */
class ApplyCheckTest {

    private static final ClusterState CLUSTER = new ClusterState(List.of(
            new Node("node1", "weir-node1", "192.168.100.1", null), new Node("node2", "weir-node2", "192.168.100.2", null)),
            List.of(), List.of());

    @TempDir
    Path dir;

    private static String svc(String name, String ip, String extra) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: x}\nspec: {clusterIP: " + ip
                + ", ports: [{port: 80" + extra + "}]}\n";
    }

    private static String slice(String name, String service, int endpoints, int first) {
        StringBuilder y = new StringBuilder("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + name
                + ", namespace: x, labels: {kubernetes.io/service-name: " + service + "}}\naddressType: IPv4\n"
                + "ports: [{name: \"\", port: 80}]\nendpoints:\n");
        for (int i = 0; i < endpoints; i++) {
            y.append("- {addresses: [10.244.1.").append(first + i).append("], nodeName: node1}\n");
        }
        return y.toString();
    }

    /**
     * With {@code computed}, node1's computation follows each commit (as the agent's sync does), so that the next
     * check counts on the computation's engine instead of one of its own.
     */
    private boolean computed;

    private CommitResult apply(FileStore store, ClusterCompiler compiler, String source, String yaml) {
        List<Change> changes = compiler.parse(source, yaml).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), source)).toList();
        CommitResult r = store.commit(changes, (before, after) -> compiler.check("node1", CLUSTER, before, after));
        if (computed) {
            Store.Snapshot s = store.snapshot();
            compiler.compile(new StateCompiler.Input("node1", CLUSTER, s.objects(), s.revision(), new StoreIdentityAllocator(store)));
        }
        return r;
    }

    private FileStore store() {
        return new FileStore(FileStore.Config.of(dir.resolve("store")));
    }

    /** Node1's compiler with the store's service ids and room for 8 backends (a new one computes afresh). */
    private static ClusterCompiler node1(FileStore store) {
        return new ClusterCompiler(ClusterCompiler.storeIds(store, "node1"), LbMapSizes.parse(List.of("lb_backend=8")),
                dev.weir.agent.service.ServiceConfig.defaults());
    }

    @Test
    void aParseNoComputationTakesIsForgotten() {
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
        var objects = compiler.parse("a.yaml", svc("a", "10.96.0.10", "") + "---\n" + slice("a", "a", 2, 10));
        assertThat(compiler.handedOver()).isEqualTo(2);
        compiler.forget("a.yaml", objects.getFirst());
        assertThat(compiler.handedOver()).isEqualTo(1);
        // the same text parsed from another file is another hand-over
        compiler.forget("b.yaml", objects.get(1));
        assertThat(compiler.handedOver()).isEqualTo(1);
        compiler.forget("a.yaml", objects.get(1));
        assertThat(compiler.handedOver()).isZero();
    }

    @ParameterizedTest(name = "computed between commits: {0}")
    @ValueSource(booleans = {false, true})
    void clusterIpTakenIsRejectedAgainstTheNewObjectAndNothingChanges(boolean computed) {
        this.computed = computed;
        FileStore store = store();
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
        long rev = apply(store, compiler, "a.yaml", svc("z", "10.96.0.10", "")).revision();
        // x/a sorts before the stored x/z, yet the error is about x/a, the newcomer
        assertThatThrownBy(() -> apply(store, compiler, "b.yaml", svc("a", "10.96.0.10", "") + "---\n" + svc("b", "10.96.0.11", "")))
                .isInstanceOfSatisfying(PolicyInputException.class, e -> {
                    assertThat(e.file()).isEqualTo("b.yaml");
                    assertThat(e.object()).isEqualTo("Service x/a");
                    assertThat(e.field()).isEqualTo("spec.clusterIPs[0]");
                    assertThat(e.problem()).contains("already taken by Service x/z (a.yaml)");
                });
        assertThat(store.revision()).isEqualTo(rev);
        assertThat(store.list()).hasSize(1);
    }

    @ParameterizedTest(name = "computed between commits: {0}")
    @ValueSource(booleans = {false, true})
    void nodePortOutOfRangeAndClashesAreRejected(boolean computed) {
        this.computed = computed;
        FileStore store = store();
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
        String np = "apiVersion: v1\nkind: Service\nmetadata: {name: np, namespace: x}\n"
                + "spec: {type: NodePort, clusterIP: 10.96.0.20, ports: [{port: 80, nodePort: %d}]}\n";
        assertThatThrownBy(() -> apply(store, compiler, "np.yaml", np.formatted(40000)))
                .isInstanceOf(PolicyInputException.class)
                .hasMessage("np.yaml: Service x/np: spec.ports[0].nodePort: nodePort 40000 is outside the NodePort range 30000-32767");
        apply(store, compiler, "np.yaml", np.formatted(30080));
        String other = np.formatted(30080).replace("name: np", "name: np2").replace("10.96.0.20", "10.96.0.21");
        assertThatThrownBy(() -> apply(store, compiler, "np2.yaml", other))
                .isInstanceOf(PolicyInputException.class)
                .hasMessageContaining("np2.yaml: Service x/np2: spec.ports[0].nodePort: nodePort 30080/TCP is already taken by Service x/np");
        assertThat(store.list()).hasSize(1);
    }

    @ParameterizedTest(name = "computed between commits: {0}")
    @ValueSource(booleans = {false, true})
    void sliceWithoutItsServiceIsAcceptedAndWaits(boolean computed) {
        this.computed = computed;
        FileStore store = store();
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
        assertThat(apply(store, compiler, "s.yaml", slice("web-1", "web", 2, 10)).changed()).isTrue();
        assertThat(apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "")).changed()).isTrue();
    }

    @ParameterizedTest(name = "computed between commits: {0}")
    @ValueSource(booleans = {false, true})
    void stateThatWouldNotFitIsRejectedNamingTheMap(boolean computed) {
        this.computed = computed;
        FileStore store = store();
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator(),
                LbMapSizes.parse(List.of("lb_backend=6", "lb_slot=10")));
        assertThatThrownBy(() -> apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 7, 10)))
                .isInstanceOf(PolicyInputException.class)
                .hasMessageContaining("lb_backend holds 6 entries, but the services would need 7 on node1")
                .hasMessageContaining("--lb-map-size lb_backend=N");
        assertThat(store.revision()).isZero();

        apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 5, 10));
        // moving one backend: the new one is written before the old one goes (6 backends), and 5 slots of
        // the current generation + 5 of the new one fit in 10
        long rev = apply(store, compiler, "w.yaml", slice("web-1", "web", 5, 11)).revision();
        // a second service of 2 backends: 5 + 2 backends do not fit
        assertThatThrownBy(() -> apply(store, compiler, "v.yaml", svc("v", "10.96.0.31", "") + "---\n" + slice("v-1", "v", 2, 100)))
                .isInstanceOf(PolicyInputException.class).hasMessageContaining("lb_backend holds 6 entries, but the services would need 7");
        assertThat(store.revision()).isEqualTo(rev);
    }

    /**
     * The check keeps one node's state while every node's is the same (no traffic policy Local); a Service with
     * one that fits on node1 but not on node2 (its backends are node2's) is still rejected, naming node2.
     */
    @ParameterizedTest(name = "computed between commits: {0}")
    @ValueSource(booleans = {false, true})
    void aLocalPolicyIsCheckedOnEveryNode(boolean computed) {
        this.computed = computed;
        FileStore store = store();
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator(), LbMapSizes.parse(List.of("lb_slot=6")));
        long rev = apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 2, 10)).revision();
        String local = "apiVersion: v1\nkind: Service\nmetadata: {name: loc, namespace: x}\n"
                + "spec: {clusterIP: 10.96.0.31, internalTrafficPolicy: Local, ports: [{port: 80}]}\n";
        // node1: web's 2 slots; node2: web's 2 and loc's 5 local ones
        assertThatThrownBy(() -> apply(store, compiler, "l.yaml", local + "---\n" + slice("loc-1", "loc", 5, 50).replace("node1", "node2")))
                .isInstanceOf(PolicyInputException.class)
                .hasMessageContaining("lb_slot holds 6 entries, but the services would need 7 on node2");
        assertThat(store.revision()).isEqualTo(rev);
        rev = apply(store, compiler, "l.yaml", local + "---\n" + slice("loc-1", "loc", 4, 50).replace("node1", "node2")).revision();
        // now a view per node: node2 has 6 slots, one more backend for web does not fit there
        assertThatThrownBy(() -> apply(store, compiler, "w.yaml", slice("web-1", "web", 3, 10)))
                .isInstanceOf(PolicyInputException.class)
                .hasMessageContaining("on node2");
        assertThat(store.revision()).isEqualTo(rev);
    }

    /**
     * The check counts on the computation's own engine when it stands for the stored objects: a change tried there
     * and refused, or checked and never committed, leaves the computation and the store's id tables as they were
     * (the next computation equals a new one's, with the same numbers, and no key of the refused change was
     * numbered); the check keeps no engine of its own meanwhile.
     */
    @Test
    void aCheckOnTheComputationsEngineLeavesItAsItWas() {
        computed = true;
        FileStore store = store();
        ClusterCompiler compiler = node1(store);
        apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 5, 10));
        apply(store, compiler, "v.yaml", svc("v", "10.96.0.31", "") + "---\n" + slice("v-1", "v", 1, 10));
        Store.Snapshot s = store.snapshot();
        var input = new StateCompiler.Input("node1", CLUSTER, s.objects(), s.revision(), new StoreIdentityAllocator(store));
        String before = dev.weir.agent.service.LbStateDump.dump(compiler.compile(input).services());
        var backends = store.allocations("lb-backend-node1", 1, Integer.MAX_VALUE - 1).all();

        // refused: web's backends moved to 5 new addresses (10 backends while the move lasts), v deleted, a new service
        assertThatThrownBy(() -> apply(store, compiler, "w.yaml", slice("web-1", "web", 5, 20) + "---\n"
                + svc("u", "10.96.0.32", "") + "---\n" + slice("u-1", "u", 1, 40)))
                .isInstanceOf(PolicyInputException.class).hasMessageContaining("lb_backend holds 8 entries, but the services would need 11 on node1");
        // checked, not committed
        List<StoredObject> now = store.list();
        List<StoredObject> next = new java.util.ArrayList<>(now);
        next.removeIf(o -> o.key().name().equals("v"));
        compiler.check("node1", CLUSTER, now, next);
        assertThat(compiler.checkKeepsAnEngine()).isFalse();

        assertThat(store.revision()).isEqualTo(s.revision());
        assertThat(dev.weir.agent.service.LbStateDump.dump(compiler.compile(input).services())).isEqualTo(before);
        assertThat(dev.weir.agent.service.LbStateDump.dump(node1(store).compile(input).services())).isEqualTo(before);
        assertThat(store.allocations("lb-backend-node1", 1, Integer.MAX_VALUE - 1).all()).isEqualTo(backends);

        // and a change that fits is committed and computed on from there
        apply(store, compiler, "w.yaml", slice("web-1", "web", 5, 11));
        s = store.snapshot();
        input = new StateCompiler.Input("node1", CLUSTER, s.objects(), s.revision(), new StoreIdentityAllocator(store));
        assertThat(dev.weir.agent.service.LbStateDump.dump(compiler.compile(input).services())).isEqualTo(
                dev.weir.agent.service.LbStateDump.dump(node1(store).compile(input).services()));
        assertThat(compiler.checkKeepsAnEngine()).isFalse();
    }

    /**
     * From an empty store (an install), the check tries the change on the computation's engine that computed
     * nothing, and goes back by emptying it: a refused install, and one checked and never committed, leave the
     * computation empty and the id tables untouched; the install committed then computes what a new computation
     * does, with the same numbers.
     */
    @Test
    void aCheckOfAnInstallLeavesTheEmptyComputationEmpty() {
        computed = true;
        FileStore store = store();
        ClusterCompiler compiler = node1(store);
        var empty = new StateCompiler.Input("node1", CLUSTER, List.of(), 0, new StoreIdentityAllocator(store));
        String nothing = dev.weir.agent.service.LbStateDump.dump(compiler.compile(empty).services());

        assertThatThrownBy(() -> apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 5, 10)
                + "---\n" + svc("u", "10.96.0.32", "") + "---\n" + slice("u-1", "u", 4, 40)))
                .isInstanceOf(PolicyInputException.class).hasMessageContaining("lb_backend holds 8 entries, but the services would need 9 on node1");
        String install = svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 5, 10) + "---\n"
                + svc("u", "10.96.0.32", "") + "---\n" + slice("u-1", "u", 2, 40);
        List<StoredObject> next = compiler.parse("w.yaml", install).stream()
                .map(o -> new StoredObject(o.key(), o.document(), "w.yaml", 1)).sorted(java.util.Comparator.comparing(StoredObject::key)).toList();
        compiler.check("node1", CLUSTER, List.of(), next);
        assertThat(compiler.checkKeepsAnEngine()).isFalse();

        assertThat(store.revision()).isZero();
        assertThat(dev.weir.agent.service.LbStateDump.dump(compiler.compile(empty).services())).isEqualTo(nothing);
        assertThat(store.allocations("lb-backend-node1", 1, Integer.MAX_VALUE - 1).all()).isEmpty();
        assertThat(store.allocations("lb-service-node1", 1, Integer.MAX_VALUE - 1).all()).isEmpty();

        apply(store, compiler, "w.yaml", install);
        Store.Snapshot s = store.snapshot();
        var input = new StateCompiler.Input("node1", CLUSTER, s.objects(), s.revision(), new StoreIdentityAllocator(store));
        String computedState = dev.weir.agent.service.LbStateDump.dump(compiler.compile(input).services());
        assertThat(computedState).contains("10.96.0.30").contains("10.96.0.32");
        assertThat(computedState).isEqualTo(dev.weir.agent.service.LbStateDump.dump(node1(store).compile(input).services()));
        assertThat(compiler.checkKeepsAnEngine()).isFalse();
    }

    @ParameterizedTest(name = "computed between commits: {0}")
    @ValueSource(booleans = {false, true})
    void bothGenerationsOfAChangingServiceCount(boolean computed) {
        this.computed = computed;
        FileStore store = store();
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator(), LbMapSizes.parse(List.of("lb_slot=9")));
        apply(store, compiler, "w.yaml", svc("web", "10.96.0.30", "") + "---\n" + slice("web-1", "web", 5, 10));
        // 5 slots fit; rewriting them under the idle generation needs 10 while the write lasts
        assertThatThrownBy(() -> apply(store, compiler, "w.yaml", slice("web-1", "web", 5, 11)))
                .isInstanceOf(PolicyInputException.class)
                .hasMessageContaining("lb_slot holds 9 entries, but the services would need 10 on node1")
                .hasMessageContaining("two generations");
    }
}
