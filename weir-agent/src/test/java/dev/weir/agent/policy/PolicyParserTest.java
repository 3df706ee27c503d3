package dev.weir.agent.policy;

import dev.weir.agent.yaml.ValidationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

class PolicyParserTest {

    private final PolicyParser parser = new PolicyParser();

    static String np(String spec) {
        return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n" + spec;
    }

    @Test
    void appliesTheApiServersDefaults() {
        var p = (NetworkPolicy) parser.parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                + "spec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n", "t.yaml").getFirst();
        assertThat(p.namespace()).isEqualTo("default");
        assertThat(p.policyTypes()).containsExactly(Direction.INGRESS);
        assertThat(p.ingress().getFirst().ports()).containsExactly(new PortRule(Protocol.TCP, PortRange.single(80)));
        var e = (NetworkPolicy) parser.parse(np("  podSelector: {}\n  egress:\n  - {}\n"), "t").getFirst();
        assertThat(e.policyTypes()).isEqualTo(Set.of(Direction.INGRESS, Direction.EGRESS));
        var empty = (NetworkPolicy) parser.parse(np("  podSelector: {}\n  egress: []\n"), "t").getFirst();
        assertThat(empty.policyTypes()).containsExactly(Direction.INGRESS);
    }

    @Test
    void parsesSelectorsPeersAndWeirKinds() {
        var objs = parser.parse(np("""
                  podSelector:
                    matchExpressions:
                    - {key: pod, operator: NotIn, values: [a]}
                  ingress:
                  - from:
                    - namespaceSelector: {matchLabels: {ns: y}}
                      podSelector: {}
                    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                """) + "---\n" + """
                apiVersion: weir.dev/v1
                kind: WeirClusterNetworkPolicy
                metadata: {name: w}
                spec:
                  endpointSelector: {matchLabels: {k8s:pod: a}}
                  egressDeny:
                  - toEntities: [world]
                    toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.0/25]}]
                    toPorts: [{ports: [{port: "53", protocol: ANY}]}]
                ---
                apiVersion: weir.dev/v1
                kind: PolicyMode
                metadata: {name: m, namespace: x}
                spec: {enforcement: always, audit: true, podSelector: {matchLabels: {pod: a}}}
                """, "t.yaml");
        assertThat(objs).hasSize(3);
        var peer = ((NetworkPolicy) objs.get(0)).ingress().getFirst().peers();
        assertThat(peer.get(0).podSelector()).isEqualTo(LabelSelector.ALL);
        assertThat(peer.get(1).ipBlock().except()).hasSize(1);
        var w = (WeirPolicy) objs.get(1);
        assertThat(w.namespace()).isNull();
        assertThat(w.endpointSelector().matchLabels()).containsEntry("pod", "a");
        assertThat(w.ingress()).isNull();
        assertThat(w.egressDeny().getFirst().ports()).containsExactly(new PortRule(null, PortRange.single(53)));
        assertThat(((PolicyMode) objs.get(2)).scope()).isEqualTo(PolicyMode.Scope.PODS);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', ignoreLeadingAndTrailingWhitespace = false, value = {
        "  podSelector: {}\\n  bogus: 1|spec.bogus|unknown field",
        "  podSelector: {}\\n  ingress:\\n  - from:\\n    - ipBlock: {cidr: 10.0.0.0/33}|spec.ingress[0].from[0].ipBlock.cidr|prefix length 33",
        "  podSelector: {}\\n  ingress:\\n  - from:\\n    - {}\\n    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}|spec.ingress[0].from[0]|needs podSelector",
        "  podSelector: {}\\n  ingress:\\n  - from:\\n    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}|spec.ingress[0].from[0].ipBlock.except[0]|not inside cidr",
        "  podSelector: {}\\n  ingress:\\n  - ports:\\n    - {endPort: 90}|spec.ingress[0].ports[0].endPort|endPort needs port",
        "  podSelector: {}\\n  ingress:\\n  - ports:\\n    - {port: 90, endPort: 80}|spec.ingress[0].ports[0].endPort|less than port",
        "  podSelector: {}\\n  ingress:\\n  - ports:\\n    - {port: 70000}|spec.ingress[0].ports[0].port|out of range",
        "  podSelector: {}\\n  ingress:\\n  - ports:\\n    - {port: 80, protocol: ICMP}|spec.ingress[0].ports[0].protocol|unknown protocol",
        "  podSelector: {}\\n  ingress:\\n  - ports:\\n    - {port: http}|spec.ingress[0].ports[0].port|named port 'http' is not supported",
        "  podSelector: {}\\n  policyTypes: [Sideways]|spec.policyTypes[0]|unknown policy type",
        "  podSelector:\\n    matchExpressions:\\n    - {key: pod, operator: In}|spec.podSelector.matchExpressions[0].values|needs at least one value",
        "  podSelector:\\n    matchExpressions:\\n    - {key: pod, operator: Exists, values: [a]}|spec.podSelector.matchExpressions[0].values|takes no values",
        "  podSelector: {}\\n  egress:\\n  - to:\\n    - ipBlock: {cidr: 10.0.0.0/8}\\n      podSelector: {}|spec.egress[0].to[0]|cannot be combined",
    })
    void rejectsWithFileObjectAndPath(String spec, String path, String message) {
        assertThatThrownBy(() -> parser.parse(np(spec.replace("\\n", "\n")), "bad.yaml"))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.file()).isEqualTo("bad.yaml");
                    assertThat(e.object()).isEqualTo("NetworkPolicy x/p");
                    assertThat(e.path()).isEqualTo(path);
                    assertThat(e.problem()).contains(message);
                });
    }

    @Test
    void rejectsMissingNamesDuplicatesAndUnknownKinds() {
        assertThatThrownBy(() -> parser.parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: x}\nspec: {}\n", "f"))
                .hasMessageContaining("metadata.name: missing name");
        String one = np("  podSelector: {}\n");
        assertThatThrownBy(() -> parser.parse(one + "---\n" + one, "f")).hasMessageContaining("duplicate object in one apply");
        assertThatThrownBy(() -> parser.parse("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "f")).hasMessageContaining("unsupported kind");
        assertThatThrownBy(() -> parser.parse("apiVersion: weir.dev/v1\nkind: PolicyMode\nmetadata: {name: m}\nspec: {podSelector: {}}\n", "f"))
                .hasMessageContaining("podSelector needs metadata.namespace");
        assertThatThrownBy(() -> parser.parse("apiVersion: weir.dev/v1\nkind: WeirNetworkPolicy\nmetadata: {name: w}\n"
                + "spec:\n  endpointSelector: {}\n  ingress:\n  - fromEntities: [moon]\n", "f"))
                .hasMessageContaining("spec.ingress[0].fromEntities[0]: unknown entity 'moon'");
    }

    @Test
    void allOrNothingOverADirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("a.yaml"), np("  podSelector: {}\n"));
        java.nio.file.Files.writeString(dir.resolve("b.yaml"), np("  podSelector: {}\n  nope: 1\n").replace("name: p", "name: q"));
        assertThatThrownBy(() -> parser.parse(dir)).hasMessageContaining("b.yaml").hasMessageContaining("spec.nope");
        java.nio.file.Files.delete(dir.resolve("b.yaml"));
        assertThat(parser.parse(dir)).hasSize(1);
        assertThat(List.of(1)).isNotEmpty();
    }
}
