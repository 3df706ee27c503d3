package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.prefilter.PrefilterSettings;
import dev.weir.agent.prefilter.PrefilterStore;
import dev.weir.agent.prefilter.WeirPrefilter;
import dev.weir.agent.prefilter.WeirPrefilterReader;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreIdentityAllocator;

/**
 * WeirPrefilter as desired state through the agent's own parts, without a kernel: {@code weir apply} routes the
 * kind, the apply check refuses objects that disagree on a node, every node computes its own prefilter, and the
 * imperative commands' edits ({@code prefilter.edit}) change {@code imperative-<node>} as an apply would.
 */
class PrefilterDesiredStateTest {

    static final ClusterState CLUSTER = new ClusterState(List.of(
            new Node("node1", "weir-node1", "192.168.100.1", null), new Node("node2", "weir-node2", "192.168.100.2", null)),
            List.of(), List.of());

    static final String DENY_EXT = """
            apiVersion: weir.dev/v1
            kind: WeirPrefilter
            metadata: {name: deny-ext}
            spec:
              nodeSelector: {matchLabels: {kubernetes.io/hostname: node2}}
              interfaces: [eth0]
              mode: denylist
              rules:
              - {action: deny, sourceCIDRs: [192.168.100.200/32], protocol: TCP, port: 30080}
            """;

    @TempDir
    Path dir;

    private FileStore store;
    private ClusterCompiler compiler;
    private NodePrefilter node2;
    private SyncState synced = SyncState.INITIAL;
    private PrefilterApi api;

    @BeforeEach
    void setUp() {
        store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
        var dp = new dev.weir.agent.prefilter.FakePrefilterDataplane("eth0");
        node2 = new NodePrefilter("node2", dir.resolve("pins"), new PrefilterStore(dir.resolve("run")), ns -> dp, s -> { });
        api = new PrefilterApi("node2", store, compiler, () -> synced, () -> { }, node2);
        synced = new SyncState(0, Instant.now(), null, 0, CLUSTER, StateView.EMPTY, 1);
    }

    private CommitResult apply(String source, String yaml) {
        List<Change> changes = compiler.parse(source, yaml).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), source)).toList();
        return store.commit(changes, (before, after) -> compiler.check("node1", CLUSTER, before, after));
    }

    private NodePrefilterSpec compile(String node) {
        var snap = store.snapshot();
        return compiler.compile(new StateCompiler.Input(node, CLUSTER, snap.objects(), snap.revision(),
                new StoreIdentityAllocator(store))).prefilter();
    }

    /** What node2's sync loop would do: compute and apply its prefilter. */
    private void syncNode2() {
        node2.apply(compile("node2"), "weir-node2");
    }

    private JsonNode edit(String json) {
        try {
            return call("prefilter.edit", ApiProtocol.mapper().readTree(json));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private JsonNode call(String method, JsonNode params) {
        try {
            return api.handlers().get(method).handle(params);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private WeirPrefilter stored(String name) {
        var o = store.get(new ObjectKey(WeirPrefilter.KIND, "", name)).orElseThrow();
        return WeirPrefilterReader.parse(o.document(), o.source()).getFirst();
    }

    @Test
    void appliedObjectsReachTheNodesTheySelect() {
        String service = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\n"
                + "spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n";
        CommitResult r = apply("mixed.yaml", service + "---\n" + DENY_EXT);
        assertThat(r.outcomes()).containsKeys(new ObjectKey("Service", "x", "web"), new ObjectKey(WeirPrefilter.KIND, "", "deny-ext"));
        NodePrefilterSpec n2 = compile("node2");
        assertThat(n2.objects()).containsExactly("deny-ext");
        assertThat(n2.interfaces()).containsExactly("eth0");
        assertThat(n2.rules()).singleElement().satisfies(rule -> assertThat(rule.describe())
                .isEqualTo("deny src 192.168.100.200/32 tcp dport 30080"));
        assertThat(compile("node1")).isEqualTo(NodePrefilterSpec.NONE);
    }

    @Test
    void theApplyCheckRefusesConflictingModesAndNothingIsStored() {
        apply("a.yaml", DENY_EXT);
        long rev = store.revision();
        String allow = "apiVersion: weir.dev/v1\nkind: WeirPrefilter\nmetadata: {name: allow-ssh}\n"
                + "spec: {mode: allowlist, rules: [{action: allow, protocol: TCP, port: 22}]}\n";
        assertThatThrownBy(() -> apply("b.yaml", allow)).isInstanceOfSatisfying(PolicyInputException.class, e -> {
            assertThat(e.file()).isEqualTo("b.yaml");
            assertThat(e.object()).isEqualTo("WeirPrefilter allow-ssh");
            assertThat(e.field()).isEqualTo("spec.mode");
            assertThat(e.problem()).contains("allowlist conflicts with denylist of WeirPrefilter deny-ext (a.yaml)",
                    "both select node node2");
        });
        assertThat(store.revision()).isEqualTo(rev);
        assertThatThrownBy(() -> apply("c.yaml", DENY_EXT.replace("port: 30080", "port: 0")))
                .isInstanceOfSatisfying(PolicyInputException.class, e -> assertThat(e.field()).isEqualTo("spec.rules[0].port"));
    }

    @Test
    void imperativeEditsChangeTheNodesObject() {
        apply("a.yaml", DENY_EXT);
        syncNode2();
        JsonNode added = edit("{\"op\": \"add\", \"rules\": [{\"action\": \"deny\", \"src\": \"203.0.113.0/24\"}]}");
        assertThat(added.path("object").asText()).isEqualTo("WeirPrefilter imperative-node2");
        assertThat(added.path("outcome").asText()).isEqualTo("created");
        WeirPrefilter mine = stored("imperative-node2");
        assertThat(mine.selects("node2")).isTrue();
        assertThat(mine.selects("node1")).isFalse();
        assertThat(mine.rules()).singleElement().satisfies(r -> assertThat(r.describe()).isEqualTo("deny src 203.0.113.0/24"));
        assertThat(store.get(new ObjectKey(WeirPrefilter.KIND, "", "imperative-node2")).orElseThrow().source()).isEqualTo("weir prefilter");

        assertThatThrownBy(() -> edit("{\"op\": \"add\", \"rules\": [{\"action\": \"deny\", \"src\": \"203.0.113.0/24\"}]}"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("already exists"));
        long rev = store.revision();
        assertThatThrownBy(() -> edit("{\"op\": \"set\", \"mode\": \"allowlist\"}"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.isUserError()).isTrue();
                    assertThat(e.getMessage()).contains("WeirPrefilter imperative-node2: spec.mode",
                            "conflicts with denylist of WeirPrefilter deny-ext (a.yaml)", "(nothing was changed)");
                });
        assertThat(store.revision()).isEqualTo(rev);

        edit("{\"op\": \"attach\", \"interfaces\": [\"eth0\"], \"xdpMode\": \"generic\"}");
        edit("{\"op\": \"set\", \"rateLimit\": 100}");
        mine = stored("imperative-node2");
        assertThat(mine.interfaces()).containsExactly("eth0");
        assertThat(mine.xdpMode()).isEqualTo("generic");
        assertThat(mine.rateLimit()).isEqualTo(100);
        assertThat(compile("node2").settings()).isEqualTo(new PrefilterSettings(PrefilterSettings.Mode.DENYLIST, 100, 100, 1));

        syncNode2();
        Map<String, Integer> ids = new java.util.HashMap<>();
        call("prefilter.status", null).path("rules")
                .forEach(r -> ids.put(r.path("match").asText(), r.path("id").asInt()));
        assertThat(ids).containsOnlyKeys("src 192.168.100.200/32 tcp dport 30080", "src 203.0.113.0/24");
        int theirs = ids.get("src 192.168.100.200/32 tcp dport 30080");
        assertThatThrownBy(() -> edit("{\"op\": \"delete\", \"ids\": [" + theirs + "]}"))
                .hasMessageContaining("is not in WeirPrefilter imperative-node2; it comes from WeirPrefilter deny-ext");
        edit("{\"op\": \"delete\", \"ids\": [" + ids.get("src 203.0.113.0/24") + "]}");
        assertThat(stored("imperative-node2").rules()).isEmpty();
        assertThatThrownBy(() -> edit("{\"op\": \"detach\", \"interfaces\": [\"eth1\"]}")).hasMessageContaining("interface eth1 is not in");
        long before = store.revision();
        assertThatThrownBy(() -> edit("{\"op\": \"attach\", \"interfaces\": [\"eth9\"]}"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage())
                        .contains("no interface eth9 in network namespace weir-node2"));
        assertThat(store.revision()).as("an attach to a missing interface changes nothing").isEqualTo(before);

        assertThat(edit("{\"op\": \"remove\"}").path("outcome").asText()).isEqualTo("deleted");
        assertThat(store.get(new ObjectKey(WeirPrefilter.KIND, "", "imperative-node2"))).isEmpty();
        assertThat(edit("{\"op\": \"remove\"}").path("outcome").asText()).isEqualTo("unchanged");
    }

    @Test
    void statusSaysWhereTheNodeLives() {
        apply("a.yaml", DENY_EXT);
        syncNode2();
        ObjectNode s = (ObjectNode) call("prefilter.status", null);
        assertThat(s.path("node").asText()).isEqualTo("node2");
        assertThat(s.path("nodeKnown").asBoolean()).isTrue();
        assertThat(s.path("netns").asText()).isEqualTo("weir-node2");
        assertThat(s.path("objects").get(0).asText()).isEqualTo("deny-ext");
        assertThat(s.path("attachments").path("eth0").asText()).isEqualTo("native");
        assertThat(s.path("rules").get(0).path("objects").get(0).asText()).isEqualTo("deny-ext");
    }
}
