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
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.StoreIdentityAllocator;

/**
 * {@code diagnose.path} over the engine's result for the netpol cluster: x isolated, TCP/80 from y allowed, a
 * ClusterIP in front of x/a and x/b; the deciding hook and policy, the peer identities, the backends judged one
 * by one, this node's conntrack entries of the connection, and bad input refused.
 */
class PathApiTest {

    private static final String POLICIES = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: default-deny, namespace: x}
            spec: {podSelector: {}}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: x}
            spec:
              podSelector: {}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                ports: [{protocol: TCP, port: 80}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: x}
            spec:
              clusterIP: 10.96.0.10
              selector: {ns: x}
              ports: [{name: http, protocol: TCP, port: 80}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: x, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, protocol: TCP, port: 80}]
            endpoints:
            - {addresses: [10.244.1.10], nodeName: node1, targetRef: {kind: Pod, namespace: x, name: a}}
            - {addresses: [10.244.1.20], nodeName: node2, targetRef: {kind: Pod, namespace: x, name: b}}
            """;

    @TempDir
    Path dir;

    private PathApi api;

    @BeforeEach
    void setUp() {
        FileStore store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        ClusterCompiler compiler = new ClusterCompiler(new InMemoryLbIdAllocator());
        store.commit(compiler.parse("stored.yaml", POLICIES).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), "stored.yaml")).toList());
        ClusterSnapshot snap = NetpolCluster.snapshot(List.of());
        ClusterState cluster = new ClusterState(snap.nodes(), snap.namespaces(), snap.endpoints());
        ComputedState state = compiler.compile(new StateCompiler.Input("node1", cluster, store.snapshot().objects(),
                store.revision(), new StoreIdentityAllocator(store)));
        SyncState sync = new SyncState(store.revision(), Instant.now(), null, 0, cluster, compiler.view(state), 1);
        ConntrackReader ct = () -> List.of(new ConntrackReader.Entry("TCP", "EGRESS", "10.244.2.20", 43210,
                "10.244.1.10", 80, 5, 100, 3, 180, 2, 120, 256, 2, "ESTABLISHED", false, 0x12),
                new ConntrackReader.Entry("TCP", "EGRESS", "10.244.2.20", 43211, "10.244.1.30", 80, 5, 100, 1, 60, 0, 0,
                        256, 0, "SYN_SENT", false, 0x02));
        api = new PathApi("node1", () -> sync, state::policy, ct);
    }

    @Test
    void anAllowedPairNamesTheAllowingRuleAndThePeerIdentities() throws Exception {
        JsonNode r = path("10.244.2.20", "10.244.1.10", "TCP", 80);
        assertThat(r.path("source").path("endpoint").asText()).isEqualTo("y/b");
        assertThat(r.path("destination").path("endpoint").asText()).isEqualTo("x/a");
        assertThat(r.path("service").isNull()).isTrue();
        JsonNode t = r.path("targets").get(0);
        assertThat(t.path("verdict").asText()).isEqualTo("ALLOWED");
        assertThat(t.path("ingress").path("reason").asText()).isEqualTo("PASS_POLICY");
        assertThat(t.path("ingress").path("policy").path("name").asText()).isEqualTo("allow-web");
        assertThat(t.path("ingress").path("policy").path("rule").asText()).isEqualTo("spec.ingress[0]");
        assertThat(t.path("ingress").path("peerIdentity").asInt()).as("x/a sees y/b's identity")
                .isEqualTo(r.path("source").path("identity").asInt());
        assertThat(t.path("egress").path("reason").asText()).isEqualTo("PASS_NO_POLICY");
        assertThat(r.path("conntrack")).singleElement()
                .satisfies(e -> assertThat(e.path("state").asText()).isEqualTo("ESTABLISHED"));
    }

    @Test
    void aBlockedPairIsDefaultDeniedAtTheDestinationsIngress() throws Exception {
        JsonNode t = path("10.244.3.10", "10.244.1.10", "TCP", 80).path("targets").get(0);
        assertThat(t.path("verdict").asText()).isEqualTo("DENIED");
        assertThat(t.path("ingress").path("reason").asText()).isEqualTo("DROP_POLICY");
        assertThat(t.path("ingress").path("policy").isNull()).as("no rule allows: default deny").isTrue();
        JsonNode port81 = path("10.244.2.20", "10.244.1.10", "TCP", 81).path("targets").get(0);
        assertThat(port81.path("verdict").asText()).isEqualTo("DENIED");
    }

    @Test
    void aServiceAddressIsJudgedPerBackend() throws Exception {
        JsonNode r = path("10.244.2.20", "10.96.0.10", "TCP", 80);
        assertThat(r.path("service").path("service").asText()).isEqualTo("x/web");
        assertThat(r.path("targets").valueStream().map(t -> t.path("endpoint").asText() + " " + t.path("verdict").asText()))
                .containsExactly("x/a ALLOWED", "x/b ALLOWED");
        assertThat(r.path("targets").get(0).path("backend").asText()).startsWith("10.244.1.10:80 active");
        assertThat(r.path("conntrack")).as("the backend's entry, not x/c's").hasSize(1);
    }

    @Test
    void badInputIsInvalid() {
        assertThatThrownBy(() -> path("10.244.2.x", "10.244.1.10", "TCP", 80)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.getMessage()).contains("source", "not an IP address"));
        assertThatThrownBy(() -> path("10.244.2.20", "fd00:10:244:1::10", "TCP", 80))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ApiException.INVALID));
        assertThatThrownBy(() -> path("10.244.2.20", "10.244.1.10", "GRE", 80)).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> path("10.244.2.20", "10.244.1.10", "UDP", 0)).isInstanceOf(ApiException.class);
    }

    private JsonNode path(String src, String dst, String proto, int port) throws Exception {
        ObjectNode p = ApiProtocol.mapper().createObjectNode();
        p.put("source", src).put("destination", dst).put("protocol", proto).put("port", port);
        return api.handlers().get("diagnose.path").handle(p);
    }
}
