package dev.weir.agent.prefilter;

import static dev.weir.agent.prefilter.PrefilterMergeTest.on;
import static dev.weir.agent.prefilter.PrefilterMergeTest.p;
import static dev.weir.agent.prefilter.WeirPrefilterReaderTest.doc;
import static dev.weir.agent.prefilter.WeirPrefilterReaderTest.invalid;
import static dev.weir.agent.prefilter.WeirPrefilterReaderTest.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.PrefilterRule.Action;
import dev.weir.agent.yaml.ValidationException;

/**
 * Dry run as desired state: {@code dryRun} on a deny rule and {@code spec.dryRun} for a node's whole prefilter,
 * read, written back, merged, compiled to the datapath's masks and kept in the scope's state.
 */
class PrefilterDryRunSpecTest {

    @TempDir
    Path dir;

    static final String RULES = """
            dryRun: true
            rules:
            - action: deny
              sourceCIDRs: [198.51.100.0/24]
              dryRun: true
            - action: deny
              sourceCIDRs: [198.51.100.0/24]
            """;

    @Test
    void readAndWrittenBack() {
        WeirPrefilter w = one(doc(RULES));
        assertThat(w.dryRun()).isTrue();
        assertThat(w.rules()).extracting(PrefilterRule::dryRun).containsExactly(true, false);
        assertThat(w.rules().getFirst().describe()).isEqualTo("deny src 198.51.100.0/24 dry-run");
        assertThat(WeirPrefilterReader.parse(w.toDocument(), "f.yaml").getFirst()).isEqualTo(w);
        assertThat(one(doc("rules: [{action: deny, protocol: UDP}]\n")).dryRun()).as("left out").isNull();
    }

    @Test
    void badInputIsRefusedWithItsPath() {
        ValidationException allow = invalid(doc("rules: [{action: allow, protocol: TCP, dryRun: true}]\n"));
        assertThat(allow.path()).isEqualTo("spec.rules[0].dryRun");
        assertThat(allow.problem()).contains("dryRun is for deny rules", "set spec.dryRun");
        assertThat(invalid(doc("dryRun: yes please\n")).path()).isEqualTo("spec.dryRun");
        assertThat(invalid(doc("rules: [{action: deny, protocol: TCP, dryRun: 1}]\n")).problem()).contains("expected true or false");
        assertThatThrownBy(() -> new PrefilterRule(0, Action.ALLOW, null, null, dev.weir.agent.net.Protocol.TCP, null, true))
                .hasMessageContaining("dry run is for deny rules");
    }

    @Test
    void theNodeWideSettingMustAgreeLikeTheOthers() {
        WeirPrefilter a = p("a", "dryRun: true\n");
        WeirPrefilter b = p("b", on("node2") + "dryRun: false\n");
        WeirPrefilter c = p("c", on("node1") + "rules: [{action: deny, protocol: UDP}]\n");
        assertThat(PrefilterMerge.forNode("node1", List.of(a, c)).settings().dryRun()).isTrue();
        assertThat(PrefilterMerge.forNode("node3", List.of(b, c)).selected()).isFalse();
        assertThat(PrefilterMerge.forNode("node1", List.of(c)).settings().dryRun()).as("default").isFalse();
        assertThatThrownBy(() -> PrefilterMerge.forNode("node2", List.of(a, b)))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.path()).isEqualTo("spec.dryRun");
                    assertThat(e.problem()).contains("dryRun false conflicts with true of WeirPrefilter a");
                });
    }

    @Test
    void aDryRunRuleHasASlotOfItsOwnInTheDryMask() {
        PrefilterRule real = new PrefilterRule(1, Action.DENY, Cidr.parse("192.0.2.0/24"), null, null, null);
        PrefilterRule dry = new PrefilterRule(2, Action.DENY, Cidr.parse("198.51.100.0/24"), null, null, null, true);
        CompiledRules c = new RuleCompiler(Capacity.DEFAULT).compile(
                new RuleSet(PrefilterSettings.DEFAULT.withDryRun(true), List.of(real, dry)));
        long realBit = c.src4().get(Cidr.parse("192.0.2.0/24")).slots();
        long dryBit = c.src4().get(Cidr.parse("198.51.100.0/24")).slots();
        assertThat(realBit).isNotEqualTo(dryBit);
        assertThat(c.cfg().deny()).isEqualTo(realBit | dryBit);
        assertThat(c.cfg().dry()).isEqualTo(dryBit);
        assertThat(c.cfg().dryRun()).isTrue();
        assertThat(new RuleCompiler(Capacity.DEFAULT).compile(new RuleSet(PrefilterSettings.DEFAULT, List.of(real))).cfg().dry())
                .isZero();
    }

    @Test
    void keptInTheScopeState() {
        PrefilterStore store = new PrefilterStore(dir);
        PrefilterRule dry = new PrefilterRule(3, Action.DENY, null, Cidr.parse("2001:db8::/32"), null, null, true);
        PrefilterState st = PrefilterState.fresh(Capacity.DEFAULT)
                .withRules(new RuleSet(PrefilterSettings.DEFAULT.withDryRun(true), List.of(dry)));
        store.save("s", st);
        assertThat(store.load("s")).contains(st);
        assertThat(PrefilterState.RuleJson.of(dry).toRule()).isEqualTo(dry);
    }

    @Test
    void imperativeSetChangesOnlyWhatItIsGiven() {
        WeirPrefilter w = ImperativePrefilter.set(one(doc("mode: allowlist\n")), null, null, null, null, true);
        assertThat(w.dryRun()).isTrue();
        assertThat(w.mode()).isEqualTo(PrefilterSettings.Mode.ALLOWLIST);
        assertThat(ImperativePrefilter.set(w, null, 5L, null, null, null).dryRun()).isTrue();
        assertThat(ImperativePrefilter.set(w, null, null, null, null, false).dryRun()).isFalse();
    }
}
