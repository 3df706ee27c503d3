package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.flow.FlowDecorator;
import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.flow.RawFlowEvent;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreIdentityAllocator;

/**
 * {@code policy.whatif} over a real file store and flow history: the draft validated as {@code apply} does,
 * laid over the stored policies, the history replayed, and nothing written.
 */
class WhatIfApiTest {

    private static final String DENY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: default-deny, namespace: x}
            spec: {podSelector: {}}
            """;
    private static final String ALLOW_Y = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: x}
            spec:
              podSelector: {}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                ports: [{protocol: TCP, port: 80}]
            """;
    private static final Instant T0 = Instant.parse("2026-06-02T12:00:00Z");

    @TempDir
    Path dir;

    private FileStore store;
    private final ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
    private FlowHistory flows;
    private WhatIfApi api;

    @BeforeEach
    void setUp() {
        store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        List<Change> changes = compiler.parse("stored.yaml", DENY + "---\n" + ALLOW_Y).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), "stored.yaml")).toList();
        store.commit(changes);
        ClusterSnapshot snap = NetpolCluster.snapshot(List.of());
        ClusterState cluster = new ClusterState(snap.nodes(), snap.namespaces(), snap.endpoints());
        FlowDecorator decorator = new FlowDecorator("node1");
        decorator.update(cluster, StateView.EMPTY);
        flows = new FlowHistory(FlowHistory.Config.defaults(), decorator);
        compiler.compile(new StateCompiler.Input("node1", cluster, store.snapshot().objects(), store.revision(),
                new StoreIdentityAllocator(store))); // the sync loop's allocations
        SyncState sync = new SyncState(store.revision(), T0, null, 0, cluster, StateView.EMPTY, 1);
        api = new WhatIfApi("node1", store, compiler, () -> sync, flows, false);
        // y/b -> x/a TCP/80 allowed at x/a's ingress (an hour ago); z/a -> x/a TCP/80 dropped there (now)
        flows.publish(ingress(T0, "10.244.2.20", "10.244.1.10", 1, 9));
        flows.publish(ingress(T0.plusSeconds(3600), "10.244.3.10", "10.244.1.10", 2, 142));
    }

    @Test
    void aDraftReplacingTheAllowListsBothFlowsAndWritesNothing() throws Exception {
        Store.Snapshot before = store.snapshot();
        var identities = new StoreIdentityAllocator(store).all();
        assertThat(identities).as("the pods' identities").hasSize(9);
        JsonNode r = whatif(ALLOW_Y.replace("ns: y", "ns: z").replace("}}]", "}}, {ipBlock: {cidr: 192.0.2.0/24}}]"), null);

        assertThat(r.path("node").asText()).isEqualTo("node1");
        assertThat(r.path("revision").asLong()).isEqualTo(before.revision());
        assertThat(r.path("draft").get(0).path("object").asText()).isEqualTo("NetworkPolicy x/allow-web");
        assertThat(r.path("draft").get(0).path("action").asText()).isEqualTo("replace");
        assertThat(r.path("summary").path("allowedToDropped").asLong()).isEqualTo(1);
        assertThat(r.path("summary").path("droppedToAllowed").asLong()).isEqualTo(1);
        assertThat(r.path("groups")).hasSize(2);
        JsonNode denied = r.path("groups").get(0);
        assertThat(denied.path("change").asText()).isEqualTo("ALLOWED_TO_DROPPED");
        assertThat(denied.path("peer").asText()).isEqualTo("y/b");
        assertThat(denied.path("after").path("policy").isNull()).isTrue();
        assertThat(denied.path("example").path("flow").path("source").path("pod_name").asText()).isEqualTo("b");
        assertThat(r.path("groups").get(1).path("after").path("policy").path("name").asText()).isEqualTo("allow-web");
        assertThat(store.snapshot()).as("nothing applied").isEqualTo(before);
        assertThat(new StoreIdentityAllocator(store).all()).as("no identity allocated").isEqualTo(identities);
    }

    @Test
    void sinceLimitsTheFlowsReplayed() throws Exception {
        JsonNode r = whatif(ALLOW_Y.replace("ns: y", "ns: z"), T0.plusSeconds(60));
        assertThat(r.path("summary").path("flows").asLong()).isEqualTo(1);
        assertThat(r.path("groups")).singleElement().satisfies(g -> assertThat(g.path("peer").asText()).isEqualTo("z/a"));
    }

    @Test
    void anInvalidDraftIsRefusedAsApplyRefusesIt() {
        String bad = ALLOW_Y.replace("port: 80", "port: 70000");
        String applyMessage = catchMessage(() -> ApplyFiles.parse(compiler, files(bad)));
        assertThat(applyMessage).contains("draft.yaml", "NetworkPolicy x/allow-web", "spec.ingress[0].ports[0]");
        assertThatThrownBy(() -> whatif(bad, null)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code()).isEqualTo(ApiException.INVALID);
            assertThat(e.getMessage()).isEqualTo(applyMessage);
        });
    }

    @Test
    void aDraftWithAnotherKindIsRefused() {
        String svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: x}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n";
        assertThatThrownBy(() -> whatif(svc, null)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code()).isEqualTo(ApiException.INVALID);
            assertThat(e.getMessage()).contains("draft.yaml: Service x/web: a what-if takes policy kinds only");
        });
    }

    private JsonNode whatif(String draft, Instant since) throws Exception {
        ObjectNode p = files(draft);
        if (since != null) {
            p.put("since", since.toString());
        }
        return api.handlers().get("policy.whatif").handle(p);
    }

    private static ObjectNode files(String text) {
        ObjectNode p = ApiProtocol.mapper().createObjectNode();
        p.putArray("files").addObject().put("source", "draft.yaml").put("text", text);
        return p;
    }

    private static String catchMessage(Runnable r) {
        try {
            r.run();
        } catch (ApiException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error");
    }

    private static RawFlowEvent ingress(Instant t, String src, String dst, int verdict, int reason) {
        return new RawFlowEvent(t, 1, 7, 0, 0, 0, reason, verdict, 0, false, 4, 6, 0x02, 0, 43210, 80, src, dst, 60, 0, 0);
    }
}
