package dev.weir.agent.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.yaml.ValidationException;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.datapath.guard.GuardPeerKey;
import dev.weir.datapath.guard.GuardVal;

/** The strict reader of {@code WeirWorkloadGuard} and what it becomes in {@code guard_pods}. */
class WorkloadGuardReaderTest {

    private static final String HEAD = """
            apiVersion: weir.dev/v1
            kind: WeirWorkloadGuard
            metadata: {name: g, namespace: x}
            """;

    @Test
    void theExampleDeniesOneDestination() throws Exception {
        String text = Files.readString(Path.of("../examples/guards/01-deny-metadata.yaml"));
        WorkloadGuard g = WorkloadGuardReader.parse(text, "01-deny-metadata.yaml").getFirst();
        assertThat(g.key()).isEqualTo("x/deny-metadata");
        assertThat(g.audit()).isFalse();
        assertThat(g.defaultAllow()).as("deny rules alone: the rest is allowed").isTrue();
        assertThat(g.egress()).hasSize(1);
        assertThat(g.egress().getFirst().allow()).isFalse();
        assertThat(g.egress().getFirst().cidr().toString()).isEqualTo("169.254.169.254/32");
        assertThat(g.bind()).as("no bind list: any port").isNull();
        assertThat(g.selects("x", Map.of("pod", "a"))).as("every pod of x").isTrue();
        assertThat(g.selects("y", Map.of("pod", "a"))).isFalse();
    }

    @Test
    void allowRulesMakeTheDefaultDenyAndEveryFieldIsRead() {
        WorkloadGuard g = read(HEAD + """
                spec:
                  podSelector: {matchLabels: {app: web}}
                  mode: audit
                  egress:
                  - {action: allow, toCIDR: 10.0.0.0/8, protocol: TCP, port: 80, endPort: 90}
                  - {action: deny, toEntity: world}
                  - {action: allow, toEntity: host, protocol: UDP, port: 53}
                  bind:
                  - {port: 8080, protocol: TCP}
                  - {port: 9000, endPort: 9010}
                """);
        assertThat(g.audit()).isTrue();
        assertThat(g.defaultAllow()).isFalse();
        assertThat(g.egress().get(0).ports()).isEqualTo(new PortRange(80, 90));
        assertThat(g.egress().get(0).protocol()).isEqualTo(Protocol.TCP);
        assertThat(g.egress().get(1).entity()).isEqualTo(WorkloadGuard.Entity.WORLD);
        assertThat(g.egress().get(2).path()).isEqualTo("spec.egress[2]");
        assertThat(g.bind()).containsExactly(new WorkloadGuard.BindPort(new PortRange(8080, 8080), Protocol.TCP),
                new WorkloadGuard.BindPort(new PortRange(9000, 9010), null));
        assertThat(read(HEAD + "spec: {podSelector: {}, egress: [{action: allow, toCIDR: 10.0.0.0/8}], egressDefault: allow}")
                .defaultAllow()).as("an explicit default wins").isTrue();
    }

    @Test
    void itsValueForAPodNumbersTheRulesAfterTheGuardsPlace() {
        WorkloadGuard g = read(HEAD + """
                spec:
                  podSelector: {}
                  egress:
                  - {action: deny, toCIDR: 192.0.2.0/24, protocol: UDP, port: 53}
                  - {action: allow, toEntity: remote-node}
                  - {action: deny, toCIDR: "2001:db8::/32"}
                  bind: [{port: 8080, protocol: TCP}]
                """);
        GuardVal v = GuardValues.value(g, 2, 77);
        assertThat(v.epId()).isEqualTo(77);
        assertThat(v.sets()).hasSize(1);
        assertThat(v.sets().getFirst().mode()).isEqualTo(GuardMaps.ENFORCE);
        assertThat(v.sets().getFirst().dflt()).isEqualTo(GuardMaps.DENY);
        assertThat(v.bindAny()).isFalse();
        assertThat(v.bind()).containsExactly(new GuardVal.Port(8080, 8080, 6));
        GuardVal.Rule r0 = v.rules().get(0);
        assertThat(r0.prefixLen()).isEqualTo(96 + 24);
        assertThat(r0.addr()).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 0);
        assertThat(r0.proto()).isEqualTo(17);
        assertThat(r0.portLo()).isEqualTo(53);
        assertThat(r0.portHi()).isEqualTo(53);
        assertThat(r0.rule()).isEqualTo(GuardValues.ruleId(2, 1)).isEqualTo(0x4000_0301);
        assertThat(v.rules().get(1).by()).isEqualTo(GuardMaps.BY_IDENTITY);
        assertThat(v.rules().get(1).identity()).isEqualTo(6);
        assertThat(v.rules().get(1).portHi()).isEqualTo(65535);
        assertThat(v.rules().get(2).prefixLen()).isEqualTo(32);
        assertThat(v.sets().getFirst().dfltRule()).isEqualTo(0x4000_0300);
        assertThat(v.sets().getFirst().bindRule()).isEqualTo(0x4000_03ff);
        Endpoint a = new Endpoint(1, "x", "a", Map.of(), "node1", "10.0.0.1", null, "lxc-a");
        Endpoint b = new Endpoint(2, "y", "b", Map.of(), "node1", "10.0.0.2", null, "lxc-b");
        assertThat(GuardValues.guardsOf(List.of(read(HEAD.replace("name: g", "name: h") + "spec: {podSelector: {matchLabels: {k: v}}}"), g), a))
                .containsExactly(1);
        assertThat(GuardValues.guardsOf(List.of(g), b)).isEmpty();
    }

    @Test
    void everyGuardThatSelectsAPodIsASetOfItsValueInTheGuardsOrder() {
        WorkloadGuard platform = read(HEAD.replace("name: g", "name: a-platform") + """
                spec:
                  podSelector: {}
                  egress: [{action: deny, toCIDR: 169.254.169.254/32}]
                """);
        WorkloadGuard app = read(HEAD.replace("name: g", "name: b-app") + """
                spec:
                  podSelector: {matchLabels: {app: web}}
                  mode: audit
                  egress: [{action: allow, toCIDR: 10.0.0.0/8}]
                  bind: [{port: 8080}]
                """);
        WorkloadGuard other = read(HEAD.replace("name: g", "name: c-other") + "spec: {podSelector: {matchLabels: {app: db}}}");
        List<WorkloadGuard> guards = List.of(platform, app, other);
        Endpoint web = new Endpoint(1, "x", "web", Map.of("app", "web"), "node1", "10.0.0.1", null, "lxc-a");
        assertThat(GuardValues.guardsOf(guards, web)).containsExactly(0, 1);
        GuardValues.PodGuards merged = GuardValues.value(guards, GuardValues.guardsOf(guards, web), 1);
        assertThat(merged.leftOut()).isEmpty();
        GuardVal v = merged.value();
        assertThat(v.sets()).containsExactly(
                new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.ALLOW, true, GuardValues.ruleId(0, 0), GuardValues.ruleId(0, 255)),
                new GuardVal.Set(GuardMaps.AUDIT, GuardMaps.DENY, false, GuardValues.ruleId(1, 0), GuardValues.ruleId(1, 255)));
        assertThat(v.rules()).extracting(GuardVal.Rule::set, GuardVal.Rule::rule)
                .containsExactly(tuple(0, GuardValues.ruleId(0, 1)), tuple(1, GuardValues.ruleId(1, 1)));
        assertThat(v.bind()).containsExactly(new GuardVal.Port(8080, 8080, 0, 1));
        assertThat(v.bindAny()).as("one of them lists ports").isFalse();

        String many = "spec: {podSelector: {}, egress: [" + "{action: deny, toCIDR: 192.0.2.1/32},".repeat(30) + "]}";
        List<WorkloadGuard> full = List.of(read(HEAD.replace("name: g", "name: m1") + many),
                read(HEAD.replace("name: g", "name: m2") + many), read(HEAD.replace("name: g", "name: m3") + many), platform);
        GuardValues.PodGuards over = GuardValues.value(full, List.of(0, 1, 2, 3), 1);
        assertThat(over.leftOut()).as("64 rules in all: the third does not fit, the fourth does").containsExactly("x/m3");
        assertThat(over.value().sets()).hasSize(3);
        assertThat(over.value().rules()).hasSize(61);
    }

    @Test
    void toEndpointsResolvesToTheIdentitiesOfThePodsItSelectsAsTheyComeAndGo() {
        WorkloadGuard g = read(HEAD + """
                spec:
                  podSelector: {}
                  egress:
                  - {action: deny, toEndpoints: {podSelector: {matchLabels: {app: db}}}, protocol: TCP, port: 5432}
                  - {action: deny, toEndpoints: {podSelector: {matchExpressions: [{key: app, operator: In, values: [cache]}]},
                                                 namespaceSelector: {matchLabels: {team: blue}}}}
                  - {action: deny, toEndpoints: {namespaceSelector: {}}, protocol: UDP}
                """);
        GuardVal.Rule r = GuardValues.value(g, 0, 1).rules().getFirst();
        assertThat(r.by()).isEqualTo(GuardMaps.BY_PEERS);
        assertThat(r.portLo()).isEqualTo(5432);
        Endpoint db = new Endpoint(1, "x", "db", Map.of("app", "db"), "node1", "10.0.0.1", null, "lxc-1");
        Endpoint db2 = new Endpoint(2, "x", "db2", Map.of("app", "db"), "node2", "10.0.0.2", null, "lxc-2");
        Endpoint dbY = new Endpoint(3, "y", "db", Map.of("app", "db"), "node1", "10.0.0.3", null, "lxc-3");
        Endpoint cacheZ = new Endpoint(4, "z", "cache", Map.of("app", "cache"), "node1", "10.0.0.4", null, "lxc-4");
        List<Namespace> ns = List.of(new Namespace("x", Map.of()), new Namespace("y", Map.of()),
                new Namespace("z", Map.of("team", "blue")));
        PolicyEngine engine = new PolicyEngine();
        InMemoryIdentityAllocator ids = new InMemoryIdentityAllocator();
        PolicyResult p = engine.resolve(new ClusterSnapshot(List.of(), ns, List.of(db, db2, dbY, cacheZ), List.of()), ids);
        int idDb = p.endpoint(1).identity();
        assertThat(p.endpoint(2).identity()).as("one identity for both x/db pods").isEqualTo(idDb);
        int rule0 = GuardValues.ruleId(0, 1);
        int rule1 = GuardValues.ruleId(0, 2);
        int rule2 = GuardValues.ruleId(0, 3);
        assertThat(GuardValues.peers(List.of(g), p)).containsExactlyInAnyOrder(
                new GuardPeerKey(rule0, idDb),
                new GuardPeerKey(rule1, p.endpoint(4).identity()),
                new GuardPeerKey(rule2, idDb), new GuardPeerKey(rule2, p.endpoint(3).identity()),
                new GuardPeerKey(rule2, p.endpoint(4).identity()));

        // x/db goes, x/web with app=db comes: the identities follow
        Endpoint web = new Endpoint(5, "x", "web", Map.of("app", "db", "tier", "front"), "node1", "10.0.0.5", null, "lxc-5");
        PolicyResult later = engine.resolve(new ClusterSnapshot(List.of(), ns, List.of(dbY, web), List.of()), ids);
        assertThat(GuardValues.peers(List.of(g), later)).filteredOn(k -> k.rule() == rule0)
                .containsExactly(new GuardPeerKey(rule0, later.endpoint(5).identity()));
        assertThat(GuardValues.peers(List.of(g), later)).filteredOn(k -> k.rule() == rule1).isEmpty();
    }

    @Test
    void badInputIsAnErrorNamingTheField() {
        assertError("spec: {podSelector: {}, egres: []}", "spec.egres", "unknown field");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toCIDR: 10.0.0.300/8}]}", "spec.egress[0].toCIDR", "10.0.0.300");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toCIDR: 10.0.0.0/33}]}", "spec.egress[0].toCIDR", "exceeds 32");
        assertError("spec: {podSelector: {}, egress: [{action: deny, port: 70000}]}", "spec.egress[0].port", "out of range");
        assertError("spec: {podSelector: {}, egress: [{action: deny, port: 90, endPort: 80}]}", "spec.egress[0].endPort", "below port");
        assertError("spec: {podSelector: {}, egress: [{action: deny, endPort: 80}]}", "spec.egress[0].endPort", "needs port");
        assertError("spec: {podSelector: {}, egress: [{action: deny, protocol: ICMP}]}", "spec.egress[0].protocol", "TCP or UDP");
        assertError("spec: {podSelector: {}, egress: [{action: drop}]}", "spec.egress[0].action", "allow or deny");
        assertError("spec: {podSelector: {}, egress: [{toCIDR: 10.0.0.0/8}]}", "spec.egress[0]", "missing action");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toEntity: cluster}]}", "spec.egress[0].toEntity", "unknown entity");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toEntity: world, toCIDR: 10.0.0.0/8}]}", "spec.egress[0].toEntity", "together");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toCIDR: 10.0.0.0/8, toEndpoints: {podSelector: {}}}]}",
                "spec.egress[0].toEndpoints", "toCIDR and toEndpoints together");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toEndpoints: {}}]}", "spec.egress[0].toEndpoints", "needs podSelector");
        assertError("spec: {podSelector: {}, egress: [{action: deny, toEndpoints: {matchLabels: {a: b}}}]}",
                "spec.egress[0].toEndpoints.matchLabels", "unknown field");
        assertError("spec: {podSelector: {}, bind: [{port: 0}]}", "spec.bind[0].port", "out of range");
        assertError("spec: {podSelector: {}, bind: [{protocol: TCP}]}", "spec.bind[0]", "missing port");
        assertError("spec: {podSelector: {}, bind: [{port: 80, host: a}]}", "spec.bind[0].host", "unknown field");
        assertError("spec: {podSelector: {}, mode: strict}", "spec.mode", "enforce or audit");
        assertError("spec: {egress: []}", "spec.podSelector", "missing podSelector");
        assertError("spec: {podSelector: {}, egress: [" + "{action: deny},".repeat(33) + "]}", "spec.egress", "at most 32");
    }

    @Test
    void metadataAndKindAreChecked() {
        assertThatThrownBy(() -> read("apiVersion: weir.dev/v1\nkind: WeirWorkloadGuard\nmetadata: {namespace: x}\nspec: {podSelector: {}}"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("missing name");
        assertThatThrownBy(() -> read("apiVersion: weir.dev/v2\nkind: WeirWorkloadGuard\nmetadata: {name: a}\nspec: {podSelector: {}}"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("expected weir.dev/v1 WeirWorkloadGuard");
        assertThat(read("apiVersion: weir.dev/v1\nkind: WeirWorkloadGuard\nmetadata: {name: a}\nspec: {podSelector: {}}").namespace())
                .isEqualTo("default");
    }

    private static void assertError(String spec, String path, String problem) {
        assertThatThrownBy(() -> read(HEAD + spec)).as(spec).isInstanceOfSatisfying(ValidationException.class, e -> {
            assertThat(e.path()).isEqualTo(path);
            assertThat(e.problem()).contains(problem);
            assertThat(e.object()).isEqualTo("WeirWorkloadGuard x/g");
        });
    }

    private static WorkloadGuard read(String text) {
        return WorkloadGuardReader.parse(text, "test.yaml").getFirst();
    }
}
