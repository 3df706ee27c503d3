package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.prefilter.PrefilterRule.Action;
import dev.weir.agent.yaml.ValidationException;

/** The WeirPrefilter kind read strictly: what it means, and what it refuses, naming file, object and field. */
class WeirPrefilterReaderTest {

    static final String FULL = """
            apiVersion: weir.dev/v1
            kind: WeirPrefilter
            metadata:
              name: edge
              labels: {team: net}
            spec:
              nodeSelector:
                matchLabels: {kubernetes.io/hostname: node2}
              interfaces: [eth0, eth1]
              xdpMode: native
              mode: allowlist
              rateLimit: 1000
              burst: 2000
              sampleEvery: 64
              rules:
              - action: deny
                sourceCIDRs: [192.0.2.0/24, 2001:db8::/32]
              - action: deny
                destinationCIDRs: [10.244.2.20]
                protocol: UDP
                port: 53
              - action: allow
                protocol: TCP
                port: 80
                endPort: 81
              - action: deny
                protocol: ICMPv6
            """;

    static WeirPrefilter one(String yaml) {
        List<WeirPrefilter> all = WeirPrefilterReader.parse(yaml, "f.yaml");
        assertThat(all).hasSize(1);
        return all.getFirst();
    }

    static ValidationException invalid(String yaml) {
        try {
            WeirPrefilterReader.parse(yaml, "f.yaml");
        } catch (ValidationException e) {
            return e;
        }
        throw new AssertionError("accepted:\n" + yaml);
    }

    static String doc(String spec) {
        return "apiVersion: weir.dev/v1\nkind: WeirPrefilter\nmetadata: {name: p}\nspec:\n" + spec.indent(2);
    }

    @Test
    void readsEveryField() {
        WeirPrefilter p = one(FULL);
        assertThat(p.name()).isEqualTo("edge");
        assertThat(p.source()).isEqualTo("f.yaml");
        assertThat(p.selects("node2")).isTrue();
        assertThat(p.selects("node1")).isFalse();
        assertThat(p.interfaces()).containsExactly("eth0", "eth1");
        assertThat(p.xdpMode()).isEqualTo("native");
        assertThat(p.mode()).isEqualTo(PrefilterSettings.Mode.ALLOWLIST);
        assertThat(p.rateLimit()).isEqualTo(1000);
        assertThat(p.burst()).isEqualTo(2000);
        assertThat(p.sampleEvery()).isEqualTo(64);
        assertThat(p.rules()).containsExactly(
                new PrefilterRule(0, Action.DENY, Cidr.parse("192.0.2.0/24"), null, null, null),
                new PrefilterRule(0, Action.DENY, Cidr.parse("2001:db8::/32"), null, null, null),
                new PrefilterRule(0, Action.DENY, null, Cidr.parse("10.244.2.20/32"), Protocol.UDP, PortRange.single(53)),
                new PrefilterRule(0, Action.ALLOW, null, null, Protocol.TCP, new PortRange(80, 81)),
                new PrefilterRule(0, Action.DENY, null, null, Protocol.ICMPV6, null));
    }

    @Test
    void leftOutSettingsTakeNoSideAndNoSelectorMeansEveryNode() {
        WeirPrefilter p = one(doc("rules: [{action: deny, sourceCIDRs: [203.0.113.0/24]}]"));
        assertThat(p.selects("node1")).isTrue();
        assertThat(p.selects("anything")).isTrue();
        assertThat(p.interfaces()).isEmpty();
        assertThat(p.xdpMode()).isNull();
        assertThat(p.mode()).isNull();
        assertThat(p.rateLimit()).isNull();
        assertThat(p.sampleEvery()).isNull();
        assertThat(one(doc("nodeSelector: {}\n")).selects("node9")).as("{} selects every node").isTrue();
        assertThat(one(doc("nodeSelector: {matchExpressions: [{key: kubernetes.io/hostname, operator: NotIn, values: [node1]}]}\n"))
                .selects("node1")).isFalse();
    }

    @Test
    void writtenDocumentReadsBackEqual() {
        WeirPrefilter p = one(FULL);
        WeirPrefilter back = WeirPrefilterReader.parse(p.toDocument(), "f.yaml").getFirst();
        assertThat(back).isEqualTo(p);
        assertThat(p.toDocument()).as("prefixes of one shape stay one entry")
                .contains("\"sourceCIDRs\":[\"192.0.2.0/24\",\"2001:db8::/32\"]");
    }

    @Test
    void unknownFieldsAreRefusedWithTheirPath() {
        ValidationException e = invalid(doc("rules: [{action: deny, sourceCIDR: [192.0.2.0/24]}]"));
        assertThat(e.file()).isEqualTo("f.yaml");
        assertThat(e.object()).isEqualTo("WeirPrefilter p");
        assertThat(e.path()).isEqualTo("spec.rules[0].sourceCIDR");
        assertThat(e.problem()).startsWith("unknown field").contains("sourceCIDRs");
        assertThat(invalid(doc("interface: [eth0]")).path()).isEqualTo("spec.interface");
        assertThat(invalid(doc("nodeSelector: {matchLabel: {a: b}}")).path()).isEqualTo("spec.nodeSelector.matchLabel");
        assertThat(invalid(FULL.replace("  labels:", "  label:")).path()).isEqualTo("metadata.label");
    }

    @Test
    void badValuesAreRefusedWithTheirPath() {
        ValidationException cidr = invalid(doc("rules: [{action: deny, sourceCIDRs: [192.0.2.0/24, 192.0.2.300/32]}]"));
        assertThat(cidr.path()).isEqualTo("spec.rules[0].sourceCIDRs[1]");
        assertThat(cidr.getMessage()).startsWith("f.yaml: WeirPrefilter p: spec.rules[0].sourceCIDRs[1]: ").contains("192.0.2.300");
        assertThat(invalid(doc("rules: [{action: deny, sourceCIDRs: [10.0.0.0/33]}]")).problem()).contains("exceeds 32");
        assertThat(invalid(doc("mode: blocklist")).path()).isEqualTo("spec.mode");
        assertThat(invalid(doc("xdpMode: offload")).problem()).contains("native, generic, auto");
        assertThat(invalid(doc("rateLimit: -1")).path()).isEqualTo("spec.rateLimit");
        assertThat(invalid(doc("rateLimit: '10'")).path()).isEqualTo("spec.rateLimit");
        assertThat(invalid(doc("burst: 10")).problem()).contains("burst needs rateLimit");
        assertThat(invalid(doc("interfaces: [eth0, eth0]")).path()).isEqualTo("spec.interfaces[1]");
        assertThat(invalid(doc("interfaces: [a-name-longer-than-15]")).path()).isEqualTo("spec.interfaces[0]");
        assertThat(invalid(doc("rules: [{action: drop, protocol: TCP}]")).path()).isEqualTo("spec.rules[0].action");
        assertThat(invalid(doc("rules: [{sourceCIDRs: [192.0.2.0/24]}]")).problem()).contains("missing action");
        assertThat(invalid(doc("rules: [{action: deny, protocol: tcp}]")).problem()).contains("expected TCP, UDP, SCTP, ICMP or ICMPv6");
        assertThat(invalid(doc("rules: [{action: deny, port: 53}]")).path()).isEqualTo("spec.rules[0].port");
        assertThat(invalid(doc("rules: [{action: deny, protocol: ICMP, port: 53}]")).problem()).contains("ICMP has no ports");
        assertThat(invalid(doc("rules: [{action: deny, protocol: TCP, port: 90, endPort: 80}]")).path()).isEqualTo("spec.rules[0].endPort");
        assertThat(invalid(doc("rules: [{action: deny, sourceCIDRs: [192.0.2.0/24], destinationCIDRs: [10.0.0.0/8]}]")).problem())
                .contains("one address side");
        assertThat(invalid(doc("rules: [{action: deny}]")).problem()).contains("say what the rule matches");
        assertThat(invalid(doc("rules: [{action: deny, sourceCIDRs: []}]")).path()).isEqualTo("spec.rules[0].sourceCIDRs");
        assertThat(invalid(doc("rules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}, {action: deny, sourceCIDRs: [192.0.2.0/24]}]")).path())
                .isEqualTo("spec.rules[1].sourceCIDRs[0]");
    }

    @Test
    void theExamplesRead() {
        for (java.nio.file.Path f : dev.weir.agent.yaml.YamlDocuments.files(java.nio.file.Path.of("../examples/prefilter"))) {
            List<WeirPrefilter> all = WeirPrefilterReader.parse(dev.weir.agent.yaml.YamlDocuments.text(f), f.toString());
            assertThat(all).as(f.toString()).isNotEmpty();
            PrefilterMerge.check(List.of("node1", "node2"), all);
        }
        WeirPrefilter doc = WeirPrefilterReader.parse(dev.weir.agent.yaml.YamlDocuments.text(
                java.nio.file.Path.of("../examples/prefilter/01-deny-doc-nets.yaml")), "x").getFirst();
        assertThat(doc.selects("node1")).isTrue();
        assertThat(doc.rules()).hasSize(4);
    }

    @Test
    void clusterScopedAndOfItsKind() {
        assertThat(invalid(FULL.replace("  name: edge", "  name: edge\n  namespace: x")).problem()).contains("cluster-scoped");
        assertThat(invalid(FULL.replace("weir.dev/v1", "weir.dev/v2")).problem()).contains("expected weir.dev/v1 WeirPrefilter");
        assertThat(invalid(FULL.replace("name: edge", "name: Edge")).path()).isEqualTo("metadata.name");
        assertThat(invalid("apiVersion: weir.dev/v1\nkind: WeirPrefilter\nmetadata: {name: p}\n").problem()).isEqualTo("missing spec");
    }
}
