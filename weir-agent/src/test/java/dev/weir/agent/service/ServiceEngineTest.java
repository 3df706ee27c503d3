package dev.weir.agent.service;

import static dev.weir.agent.service.Lab.parse;
import static dev.weir.agent.service.Lab.svc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
class ServiceEngineTest {

    private static final ServiceObjects EXAMPLES = new ServiceParser(Lab.CONFIG).parse(Path.of("../examples/services"));

    static LbState resolve(ServiceObjects o, String node) {
        return new ServiceEngine(Lab.CONFIG, new InMemoryLbIdAllocator()).resolve(o.services(), o.slices(), Lab.NODES, node);
    }

    static LbFrontend frontend(LbState s, String key, LbFrontend.ClientScope scope) {
        return s.frontends().stream().filter(f -> f.key().equals(key) && f.clientScope() == scope).findFirst()
                .orElseThrow(() -> new AssertionError("no frontend " + key + " " + scope + " in\n" + LbStateDump.dump(s)));
    }

    /** The backends a frontend selects from, as {@code addr:port/PROTO}. */
    static List<String> slots(LbState s, LbFrontend f) {
        return s.service(f.svcId()).orElseThrow().slots().stream().map(id -> s.backend(id).orElseThrow().key()).toList();
    }

    @Test
    void clusterIpFrontendsPerPortAndFamily() {
        LbState s = resolve(EXAMPLES, "node1");
        for (String key : List.of("10.96.0.10:80/TCP", "10.96.0.10:80/UDP", "[fd00:10:96::a]:80/TCP", "[fd00:10:96::a]:80/UDP")) {
            LbFrontend f = frontend(s, key, LbFrontend.ClientScope.ANY);
            assertThat(f.kind()).isEqualTo(LbFrontend.Kind.CLUSTER_IP);
            assertThat(f.count()).isEqualTo(3);
            assertThat(f.flags()).isEqualTo(LbFrontend.MAGLEV);
            assertThat(f.maglevM()).isEqualTo(16381);
            assertThat(s.service(f.svcId()).orElseThrow().maglev()).hasSize(16381);
        }
        assertThat(slots(s, frontend(s, "[fd00:10:96::a]:80/UDP", LbFrontend.ClientScope.ANY)))
                .containsExactly("[fd00:10:244:1::10]:80/UDP", "[fd00:10:244:1::20]:80/UDP", "[fd00:10:244:1::30]:80/UDP");
    }

    @Test
    void nodePortsOnEveryNodeAddressOfEveryFamily() {
        LbState s = resolve(EXAMPLES, "node2");
        for (String key : List.of("192.168.100.1:30080/TCP", "192.168.100.2:30080/TCP", "[fd00:192:168:100::1]:30080/TCP",
                "[fd00:192:168:100::2]:30080/TCP")) {
            LbFrontend f = frontend(s, key, LbFrontend.ClientScope.ANY);
            assertThat(f.kind()).isEqualTo(LbFrontend.Kind.NODE_PORT);
            assertThat(f.flagNames()).isEqualTo("nodeport");
            assertThat(f.count()).isEqualTo(3);
        }
        assertThat(s.frontends()).filteredOn(f -> f.service().equals("y/web")).hasSize(6);
    }

    @Test
    void externalTrafficPolicyLocalSelectsThisNodesBackendsForOutsideClientsOnly() {
        LbState n1 = resolve(EXAMPLES, "node1");
        LbFrontend lb = frontend(n1, "203.0.113.5:81/TCP", LbFrontend.ClientScope.ANY);
        // ext-local: external clients keep their source (no SNAT); the in-cluster view (scope LOCAL) has no such flag
        assertThat(lb.flagNames()).isEqualTo("affinity,loadbalancer,src-ranges,ext-local");
        assertThat(frontend(n1, "203.0.113.5:81/TCP", LbFrontend.ClientScope.LOCAL).flagNames())
                .isEqualTo("affinity,loadbalancer,src-ranges");
        assertThat(frontend(n1, "192.168.100.2:30081/TCP", LbFrontend.ClientScope.ANY).flagNames())
                .isEqualTo("affinity,nodeport");
        assertThat(lb.affinityTimeout()).isEqualTo(600);
        assertThat(slots(n1, lb)).containsExactly("10.244.3.10:81/TCP");
        assertThat(slots(n1, frontend(n1, "203.0.113.5:81/TCP", LbFrontend.ClientScope.LOCAL)))
                .containsExactly("10.244.3.10:81/TCP", "10.244.3.20:81/TCP", "10.244.3.30:81/TCP");
        assertThat(slots(n1, frontend(n1, "192.168.100.1:30081/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.3.10:81/TCP");
        // another node's NodePort is reached from here only by this node's pods: every backend
        assertThat(slots(n1, frontend(n1, "192.168.100.2:30081/TCP", LbFrontend.ClientScope.ANY))).hasSize(3);
        assertThat(n1.frontends()).noneMatch(f -> f.key().equals("192.168.100.2:30081/TCP") && f.clientScope() == LbFrontend.ClientScope.LOCAL);
        assertThat(slots(n1, frontend(n1, "10.96.0.30:81/TCP", LbFrontend.ClientScope.ANY))).hasSize(3);
        LbState n2 = resolve(EXAMPLES, "node2");
        assertThat(slots(n2, frontend(n2, "203.0.113.5:81/TCP", LbFrontend.ClientScope.ANY)))
                .containsExactly("10.244.3.20:81/TCP", "10.244.3.30:81/TCP");
        assertThat(slots(n2, frontend(n2, "192.168.100.1:30081/TCP", LbFrontend.ClientScope.ANY))).hasSize(3);
    }

    static final String LOCAL = svc("web", "  clusterIP: 10.96.0.1\n  internalTrafficPolicy: Local\n  ports: [{port: 80}]\n") + "---\n"
            + Lab.slice("web-1", "web", "", 8080, """
            - {addresses: [10.244.1.10], nodeName: node1}
            - {addresses: [10.244.1.20], nodeName: node2}
            - {addresses: [10.244.1.30], nodeName: node1, conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.244.2.10], nodeName: node1, conditions: {ready: false}}
            - {addresses: [10.244.2.20]}
            """);

    @Test
    void internalTrafficPolicyLocalSelectsThisNodesBackends() {
        LbState n1 = resolve(parse(LOCAL), "node1");
        LbFrontend f = frontend(n1, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY);
        assertThat(slots(n1, f)).containsExactly("10.244.1.10:8080/TCP");
        LbService svc = n1.service(f.svcId()).orElseThrow();
        assertThat(svc.scope()).isEqualTo(LbService.Scope.LOCAL);
        assertThat(svc.backends().stream().map(id -> n1.backend(id).orElseThrow().state()).toList())
                .containsExactly(BackendState.ACTIVE, BackendState.SERVING_TERMINATING);
        LbState n2 = resolve(parse(LOCAL), "node2");
        assertThat(slots(n2, frontend(n2, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.20:8080/TCP");
    }

    @Test
    void terminatingStaysListedNotReadyIsLeftOutAndOverridesTakeActiveOnesOut() {
        String yaml = LOCAL.replace("internalTrafficPolicy: Local\n  ", "");
        ServiceObjects o = parse(yaml);
        LbState s = resolve(o, "node1");
        assertThat(s.backends()).extracting(LbBackend::key, LbBackend::state).containsExactly(
                org.assertj.core.groups.Tuple.tuple("10.244.1.10:8080/TCP", BackendState.ACTIVE),
                org.assertj.core.groups.Tuple.tuple("10.244.1.20:8080/TCP", BackendState.ACTIVE),
                org.assertj.core.groups.Tuple.tuple("10.244.1.30:8080/TCP", BackendState.SERVING_TERMINATING),
                org.assertj.core.groups.Tuple.tuple("10.244.2.20:8080/TCP", BackendState.ACTIVE));
        LbFrontend f = frontend(s, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY);
        assertThat(f.count()).isEqualTo(3);
        var overrides = new BackendOverrides(Map.of("10.244.1.20:8080/TCP", BackendState.QUARANTINED,
                "10.244.2.20", BackendState.MAINTENANCE, "10.244.1.30", BackendState.MAINTENANCE));
        LbState o2 = new ServiceEngine(Lab.CONFIG, new InMemoryLbIdAllocator()).resolve(o.services(), o.slices(), Lab.NODES, "node1", overrides);
        assertThat(o2.backends()).extracting(LbBackend::state).containsExactly(BackendState.ACTIVE, BackendState.QUARANTINED,
                BackendState.SERVING_TERMINATING, BackendState.MAINTENANCE);
        assertThat(slots(o2, frontend(o2, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.10:8080/TCP");
        assertThatThrownBy(() -> new BackendOverrides(Map.of("10.244.1.10", BackendState.ACTIVE)))
                .hasMessageContaining("only QUARANTINED or MAINTENANCE");
    }

    @Test
    void readyDecidesAndServingTerminatingEndpointsAreTheFallbackWhenNoneIsReady() {
        String slice = """
            - {addresses: [10.244.1.10], nodeName: node1, conditions: {ready: true, terminating: true}}
            - {addresses: [10.244.1.20], nodeName: node2, conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.244.1.30], nodeName: node1, conditions: {ready: false, serving: false, terminating: true}}
            """;
        String yaml = svc("web", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n") + "---\n" + Lab.slice("web-1", "web", "", 8080, slice);
        LbState s = resolve(parse(yaml), "node1");
        // ready: true is used although terminating (publishNotReadyAddresses); the others wait
        assertThat(slots(s, frontend(s, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.10:8080/TCP");
        assertThat(s.backends()).extracting(LbBackend::state).containsExactly(BackendState.ACTIVE,
                BackendState.SERVING_TERMINATING, BackendState.TERMINATING);

        // no ready endpoint left: the serving terminating one takes new connections, the non-serving one never
        LbState f = resolve(parse(yaml.replace("ready: true, terminating: true", "ready: false, serving: false, terminating: true")), "node1");
        LbFrontend fe = frontend(f, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY);
        assertThat(slots(f, fe)).containsExactly("10.244.1.20:8080/TCP");
        assertThat(fe.flags() & LbFrontend.REJECT).isZero();
    }

    @Test
    void theFallbackHoldsPerBackendSetForLocalPoliciesToo() {
        String yaml = svc("web", "  clusterIP: 10.96.0.1\n  internalTrafficPolicy: Local\n  ports: [{port: 80}]\n") + "---\n"
                + Lab.slice("web-1", "web", "", 8080, """
            - {addresses: [10.244.1.10], nodeName: node1, conditions: {ready: false, serving: true, terminating: true}}
            - {addresses: [10.244.1.20], nodeName: node2}
            """);
        // node1 has no ready local endpoint: its serving terminating one; node2 its ready one
        LbState n1 = resolve(parse(yaml), "node1");
        assertThat(slots(n1, frontend(n1, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.10:8080/TCP");
        LbState n2 = resolve(parse(yaml), "node2");
        assertThat(slots(n2, frontend(n2, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.20:8080/TCP");
    }

    @Test
    void eachServiceGoesByItsOwnConditionsForABackendItSharesWithAnother() {
        // one pod's port in two Services: ready for one (publishNotReadyAddresses), not ready for the other
        String yaml = svc("pub", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n") + "---\n"
                + Lab.slice("pub-1", "pub", "", 8080, "- {addresses: [10.244.1.10], nodeName: node1}\n") + "---\n"
                + svc("web", "  clusterIP: 10.96.0.2\n  ports: [{port: 80}]\n") + "---\n"
                + Lab.slice("web-1", "web", "", 8080, """
            - {addresses: [10.244.1.10], nodeName: node1, conditions: {ready: false, serving: false, terminating: true}}
            - {addresses: [10.244.1.20], nodeName: node1, conditions: {ready: false, serving: true, terminating: true}}
            """);
        LbState s = resolve(parse(yaml), "node1");
        assertThat(slots(s, frontend(s, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.10:8080/TCP");
        assertThat(slots(s, frontend(s, "10.96.0.2:80/TCP", LbFrontend.ClientScope.ANY))).containsExactly("10.244.1.20:8080/TCP");
        // the backend entry itself has the most available state (lb_backend is one per address, port, protocol)
        assertThat(s.backends()).extracting(LbBackend::state).containsExactly(BackendState.ACTIVE, BackendState.SERVING_TERMINATING);
    }

    @Test
    void onlyAServiceWithoutAnyUsableEndpointRejects() {
        String none = svc("web", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n") + "---\n"
                + Lab.slice("web-1", "web", "", 8080, "- {addresses: [10.244.1.10], nodeName: node1, conditions: {ready: false}}\n");
        LbState s = resolve(parse(none), "node1");
        LbFrontend f = frontend(s, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY);
        assertThat(f.count()).isZero();
        assertThat(f.flagNames()).isEqualTo("reject");
        // a Local policy without a local endpoint while the Service has one elsewhere: count 0, dropped (kube-proxy's DROP)
        LbState local = resolve(parse(LOCAL.replace("nodeName: node1}", "nodeName: node3}")
                .replace("nodeName: node1, conditions", "nodeName: node3, conditions")), "node1");
        LbFrontend l = frontend(local, "10.96.0.1:80/TCP", LbFrontend.ClientScope.ANY);
        assertThat(l.count()).isZero();
        assertThat(l.flags() & LbFrontend.REJECT).isZero();
    }

    @Test
    void noBackendsMeansCountZeroAndHeadlessMeansNoFrontend() {
        LbState s = resolve(parse(svc("web", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n") + "---\n"
                + svc("dns", "  clusterIP: None\n") + "---\n" + Lab.slice("dns-1", "dns", "", 53, "- {addresses: [10.244.1.10]}\n")), "node1");
        assertThat(s.frontends()).extracting(LbFrontend::key, LbFrontend::count)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("10.96.0.1:80/TCP", 0));
        assertThat(s.backends()).isEmpty();
    }

    @Test
    void isDeterministicWhateverTheInputOrder() {
        LbState expected = resolve(EXAMPLES, "node1");
        Random rnd = new Random(7);
        for (int i = 0; i < 10; i++) {
            List<Service> services = new ArrayList<>(EXAMPLES.services());
            List<EndpointSlice> slices = new ArrayList<>(EXAMPLES.slices());
            Collections.shuffle(services, rnd);
            Collections.shuffle(slices, rnd);
            LbState got = new ServiceEngine(Lab.CONFIG, new InMemoryLbIdAllocator()).resolve(services, slices, Lab.NODES, "node1");
            assertThat(LbStateDump.dump(got)).isEqualTo(LbStateDump.dump(expected));
            assertThat(got).isEqualTo(expected);
        }
    }

    @Test
    void everyNodeComputesTheSameMaglevTableForTheSameBackends() {
        LbState n1 = resolve(EXAMPLES, "node1");
        LbState n2 = resolve(EXAMPLES, "node2");
        for (String key : List.of("10.96.0.10:80/TCP", "[fd00:10:96::a]:80/UDP")) {
            assertThat(byAddress(n2, frontend(n2, key, LbFrontend.ClientScope.ANY)))
                    .isEqualTo(byAddress(n1, frontend(n1, key, LbFrontend.ClientScope.ANY)));
        }
    }

    private static List<String> byAddress(LbState s, LbFrontend f) {
        return s.service(f.svcId()).orElseThrow().maglev().stream().map(id -> s.backend(id).orElseThrow().key()).toList();
    }

    @Test
    void idsStayStableAcrossChangesAndUnusedOnesAreReleased() {
        InMemoryLbIdAllocator ids = new InMemoryLbIdAllocator();
        ServiceEngine engine = new ServiceEngine(Lab.CONFIG, ids);
        LbState before = engine.resolve(EXAMPLES.services(), EXAMPLES.slices(), Lab.NODES, "node1");
        List<EndpointSlice> fewer = EXAMPLES.slices().stream().map(es -> !es.key().equals("x/web-ipv4") ? es
                : new EndpointSlice(es.namespace(), es.name(), es.source(), es.serviceName(), es.addressType(),
                        es.endpoints().subList(1, 3), es.ports())).toList();
        LbState after = engine.resolve(EXAMPLES.services(), fewer, Lab.NODES, "node1");
        for (LbBackend b : after.backends()) {
            assertThat(before.backends()).contains(b);
        }
        for (LbFrontend f : after.frontends()) {
            LbFrontend old = frontend(before, f.key(), f.clientScope());
            assertThat(f.svcId()).isEqualTo(old.svcId());
            assertThat(f.revNatId()).isEqualTo(old.revNatId());
        }
        assertThat(frontend(after, "10.96.0.10:80/TCP", LbFrontend.ClientScope.ANY).count()).isEqualTo(2);
        assertThat(ids.allocated(LbIdAllocator.Kind.BACKEND)).containsKey("10.244.1.10:80/TCP");
        ServiceEngine.releaseUnused(before, after, ids);
        assertThat(ids.allocated(LbIdAllocator.Kind.BACKEND)).doesNotContainKeys("10.244.1.10:80/TCP", "10.244.1.10:80/UDP")
                .hasSize(after.backends().size());
        assertThat(ids.allocated(LbIdAllocator.Kind.SERVICE)).hasSize(after.services().size());
    }

    @Test
    void ignoresExternalAddressesOfAFamilyTheServiceLacksWithAWarning() {
        LbState s = resolve(parse(svc("web", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n  externalIPs: [203.0.113.1]\n")), "node1");
        assertThat(s.frontends()).extracting(LbFrontend::key).containsExactly("10.96.0.1:80/TCP", "203.0.113.1:80/TCP");
        ServiceConfig open = new ServiceConfig(Lab.CONFIG.serviceRanges(), Lab.CONFIG.nodePorts(), List.of(), 16381, 131071);
        ServiceObjects o = parse(svc("web", "  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n  externalIPs: ['2001:db8::1']\n"));
        LbState w = new ServiceEngine(open, new InMemoryLbIdAllocator()).resolve(o.services(), o.slices(), Lab.NODES, "node1");
        assertThat(w.frontends()).hasSize(1);
        assertThat(w.warnings()).containsExactly("Service x/web: spec.externalIPs[0] 2001:db8::1 is not of the service's families [IPv4]; ignored");
    }

    @Test
    void rejectsAnUnknownNodeAndReportsPendingSlices() {
        assertThatThrownBy(() -> resolve(EXAMPLES, "node3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node3 is not among the nodes [node1, node2]");
        LbState s = resolve(parse(Lab.slice("later-1", "later", "", 80, "- {addresses: [10.244.1.10]}\n")), "node1");
        assertThat(s.pending()).containsExactly("x/later-1");
        assertThat(s.frontends()).isEmpty();
    }
}
