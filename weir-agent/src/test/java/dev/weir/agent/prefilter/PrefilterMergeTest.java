package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.PrefilterRule.Action;
import dev.weir.agent.yaml.ValidationException;

/** Several WeirPrefilter objects on one node: union of rules and interfaces, settings that must agree. */
class PrefilterMergeTest {

    static WeirPrefilter p(String name, String spec) {
        return WeirPrefilterReader.parse("apiVersion: weir.dev/v1\nkind: WeirPrefilter\nmetadata: {name: " + name
                + "}\nspec:\n" + spec.indent(2), name + ".yaml").getFirst();
    }

    static String on(String node) {
        return "nodeSelector: {matchLabels: {kubernetes.io/hostname: " + node + "}}\n";
    }

    static PrefilterRule deny(String src) {
        return new PrefilterRule(0, Action.DENY, Cidr.parse(src), null, null, null);
    }

    @Test
    void rulesAndInterfacesOfEverySelectingObjectAddUp() {
        WeirPrefilter all = p("all", "interfaces: [eth0]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24, 198.51.100.0/24]}]");
        WeirPrefilter two = p("two", on("node2") + "interfaces: [eth1, eth0]\nmode: denylist\n"
                + "rules: [{action: deny, sourceCIDRs: [198.51.100.0/24, 203.0.113.0/24]}, {action: allow, protocol: TCP, port: 80}]");
        NodePrefilterSpec n2 = PrefilterMerge.forNode("node2", List.of(all, two));
        assertThat(n2.objects()).containsExactly("all", "two");
        assertThat(n2.interfaces()).containsExactly("eth0", "eth1");
        assertThat(n2.attachedBy()).containsEntry("eth0", List.of("all", "two")).containsEntry("eth1", List.of("two"));
        assertThat(n2.rules()).hasSize(4).startsWith(deny("192.0.2.0/24"), deny("198.51.100.0/24"), deny("203.0.113.0/24"));
        assertThat(n2.originsOf(deny("198.51.100.0/24"))).containsExactly("all", "two");
        assertThat(n2.originsOf(deny("203.0.113.0/24").withId(7))).containsExactly("two");
        assertThat(n2.settings()).isEqualTo(PrefilterSettings.DEFAULT);
        assertThat(n2.xdpMode()).isEqualTo("auto");

        NodePrefilterSpec n1 = PrefilterMerge.forNode("node1", List.of(all, two));
        assertThat(n1.objects()).containsExactly("all");
        assertThat(n1.rules()).containsExactly(deny("192.0.2.0/24"), deny("198.51.100.0/24"));
        assertThat(PrefilterMerge.forNode("node1", List.of(two))).isEqualTo(NodePrefilterSpec.NONE);
    }

    @Test
    void settingsComeFromTheObjectsThatGiveThem() {
        WeirPrefilter a = p("a", "mode: allowlist\nrules: [{action: allow, protocol: TCP, port: 22}]");
        WeirPrefilter b = p("b", "rateLimit: 100\nsampleEvery: 8\nxdpMode: generic\n");
        WeirPrefilter c = p("c", "rateLimit: 100\nburst: 100\n");
        NodePrefilterSpec n = PrefilterMerge.forNode("node1", List.of(a, b, c));
        assertThat(n.settings()).isEqualTo(new PrefilterSettings(PrefilterSettings.Mode.ALLOWLIST, 100, 100, 8));
        assertThat(n.xdpMode()).isEqualTo("generic");
    }

    @Test
    void conflictingModesAreRefusedNamingBothObjectsAndTheNode() {
        WeirPrefilter a = p("a", "mode: allowlist\n");
        WeirPrefilter b = p("b", on("node2") + "mode: denylist\n");
        assertThat(PrefilterMerge.forNode("node1", List.of(a, b)).settings().mode()).isEqualTo(PrefilterSettings.Mode.ALLOWLIST);
        assertThatThrownBy(() -> PrefilterMerge.forNode("node2", List.of(a, b)))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.file()).isEqualTo("b.yaml");
                    assertThat(e.object()).isEqualTo("WeirPrefilter b");
                    assertThat(e.path()).isEqualTo("spec.mode");
                    assertThat(e.problem()).contains("mode denylist conflicts with allowlist of WeirPrefilter a (a.yaml)",
                            "both select node node2");
                });
        assertThatThrownBy(() -> PrefilterMerge.forNode("node2", List.of(b, a))).as("the later object is named")
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.object()).isEqualTo("WeirPrefilter a"));
        assertThatThrownBy(() -> PrefilterMerge.forNode("n", List.of(p("x", "rateLimit: 10\n"), p("y", "rateLimit: 10\nburst: 20\n"))))
                .hasMessageContaining("spec.rateLimit: rate limit (rateLimit, burst) 10 pps (burst 20) conflicts with 10 pps (burst 10)");
        assertThatThrownBy(() -> PrefilterMerge.forNode("n", List.of(p("x", "xdpMode: native\n"), p("y", "xdpMode: generic\n"))))
                .hasMessageContaining("spec.xdpMode");
    }

    @Test
    void theApplyCheckFindsConflictsOnNodesNotInTheClusterYet() {
        WeirPrefilter a = p("a", "mode: allowlist\n");
        WeirPrefilter b = p("b", on("node7") + "mode: denylist\n");
        assertThatThrownBy(() -> PrefilterMerge.check(List.of("node1"), List.of(a, b)))
                .hasMessageContaining("both select node node7");
        WeirPrefilter c = p("c", "nodeSelector: {matchExpressions: [{key: kubernetes.io/hostname, operator: NotIn, values: [node1]}]}\n"
                + "mode: denylist\n");
        assertThatThrownBy(() -> PrefilterMerge.check(List.of("node1"), List.of(a, c)))
                .hasMessageContaining("both select any node no selector names");
        PrefilterMerge.check(List.of("node1", "node2"), List.of(p("d", on("node1") + "mode: allowlist\n"), b));
    }

    @Test
    void theApplyCheckRefusesRulesThatWouldNotFit() {
        StringBuilder rules = new StringBuilder("rules:\n");
        for (int port = 1; port <= 65; port++) {
            rules.append("- {action: deny, protocol: TCP, port: ").append(port).append("}\n");
        }
        WeirPrefilter many = p("many", rules.toString());
        assertThatThrownBy(() -> PrefilterMerge.check(List.of("node1"), List.of(many)))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.path()).isEqualTo("spec.rules");
                    assertThat(e.problem()).contains("65 distinct shapes");
                });
    }

    @Test
    void unchangedObjectsComeFirstSoTheErrorNamesTheNewOne() {
        List<String> docs = new ArrayList<>(List.of("z", "a"));
        List<WeirPrefilter> ordered = PrefilterMerge.unchangedFirst(docs, n -> p(n, "mode: " + (n.equals("z") ? "denylist" : "allowlist")),
                n -> n.equals("z"));
        assertThat(ordered).extracting(WeirPrefilter::name).containsExactly("z", "a");
        assertThatThrownBy(() -> PrefilterMerge.check(List.of("node1"), ordered)).hasMessageContaining("WeirPrefilter a:");
    }
}
