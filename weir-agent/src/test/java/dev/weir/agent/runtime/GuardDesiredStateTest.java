package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.guard.WorkloadGuard;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreIdentityAllocator;

/**
 * WeirWorkloadGuard through the agent's own parts, without a kernel: {@code weir apply} routes the kind (a bad
 * document is refused naming the field, and nothing is stored), every computation carries the stored guards in
 * {@code namespace/name} order beside policy, and the view's rule table names their rules for flows.
 */
class GuardDesiredStateTest {

    static final ClusterState CLUSTER = new ClusterState(List.of(new Node("node1", "weir-node1", "192.168.100.1", null)),
            List.of(), List.of());
    static final String GUARD = """
            apiVersion: weir.dev/v1
            kind: WeirWorkloadGuard
            metadata: {name: %s, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              egress:
              - {action: deny, toCIDR: %s}
            """;
    static final String POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: x}
            spec: {podSelector: {}, policyTypes: [Ingress]}
            """;

    @TempDir
    Path dir;

    private FileStore store;
    private ClusterCompiler compiler;

    @BeforeEach
    void setUp() {
        store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
    }

    private void apply(String yaml) {
        List<Change> changes = compiler.parse("f.yaml", yaml).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), "f.yaml")).toList();
        store.commit(changes, (before, after) -> compiler.check("node1", CLUSTER, before, after));
    }

    private ComputedState compile() {
        var snap = store.snapshot();
        return compiler.compile(new StateCompiler.Input("node1", CLUSTER, snap.objects(), snap.revision(),
                new StoreIdentityAllocator(store)));
    }

    @Test
    void aBadGuardIsRefusedNamingTheFieldAndNothingIsStored() {
        long before = store.snapshot().revision();
        assertThatThrownBy(() -> apply(GUARD.formatted("g", "10.0.0.0/33") + "---\n" + POLICY))
                .isInstanceOfSatisfying(PolicyInputException.class, e -> {
                    assertThat(e.field()).isEqualTo("spec.egress[0].toCIDR");
                    assertThat(e.object()).isEqualTo("WeirWorkloadGuard x/g");
                    assertThat(e.file()).isEqualTo("f.yaml");
                });
        assertThat(store.snapshot().revision()).isEqualTo(before);
        assertThat(store.snapshot().objects()).isEmpty();
    }

    @Test
    void storedGuardsReachTheComputationBesidePolicyAndNameTheirRules() {
        apply(GUARD.formatted("second", "10.0.0.0/8") + "---\n" + GUARD.formatted("first", "192.0.2.1") + "---\n" + POLICY);
        assertThat(store.get(new ObjectKey(WorkloadGuard.KIND, "x", "first"))).isPresent();
        ComputedState state = compile();
        assertThat(state.guards()).extracting(WorkloadGuard::name).containsExactly("first", "second");
        assertThat(state.policy().endpoints()).as("policy computed without the guards").isNotNull();
        StateView view = compiler.view(state);
        assertThat(view.rule(0x4000_0101)).hasValueSatisfying(r -> {
            assertThat(r.kind()).isEqualTo(WorkloadGuard.KIND);
            assertThat(r.name()).isEqualTo("first");
            assertThat(r.path()).isEqualTo("spec.egress[0]");
        });
        assertThat(view.rule(0x4000_02ff)).hasValueSatisfying(r -> assertThat(r.path()).isEqualTo("spec.bind"));

        store.commit(List.of(new Change.Delete(new ObjectKey(WorkloadGuard.KIND, "x", "first"))), (b, a) -> { });
        assertThat(compile().guards()).extracting(WorkloadGuard::name).containsExactly("second");
    }
}
