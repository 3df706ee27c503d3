package dev.weir.agent.prefilter;

import static dev.weir.agent.prefilter.PrefilterMergeTest.on;
import static dev.weir.agent.prefilter.PrefilterMergeTest.p;
import static dev.weir.agent.prefilter.WeirPrefilterReaderTest.doc;
import static dev.weir.agent.prefilter.WeirPrefilterReaderTest.invalid;
import static dev.weir.agent.prefilter.WeirPrefilterReaderTest.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.yaml.ValidationException;

/**
 * The redirect stage as desired state ({@code spec.redirect}): read, written back, refused when not a boolean,
 * merged like the other node-wide settings, compiled to the {@code pf_cfg} flag, kept in the scope's state, and
 * the node's prefilter handing the local pods to the dataplane only while it is on.
 */
class PrefilterRedirectSpecTest {

    @TempDir
    Path dir;

    @Test
    void readAndWrittenBack() {
        WeirPrefilter w = one(doc("interfaces: [eth0]\nredirect: true\n"));
        assertThat(w.redirect()).isTrue();
        assertThat(WeirPrefilterReader.parse(w.toDocument(), "f.yaml").getFirst()).isEqualTo(w);
        assertThat(one(doc("interfaces: [eth0]\n")).redirect()).as("left out").isNull();
    }

    @Test
    void aValueThatIsNotABooleanIsRefusedWithItsPath() {
        ValidationException e = invalid(doc("redirect: yes please\n"));
        assertThat(e.path()).isEqualTo("spec.redirect");
        assertThat(e.problem()).contains("expected true or false");
        assertThat(invalid(doc("redirect: 1\n")).path()).isEqualTo("spec.redirect");
    }

    @Test
    void theNodeWideSettingMustAgreeLikeTheOthers() {
        WeirPrefilter a = p("a", "redirect: true\n");
        WeirPrefilter b = p("b", on("node2") + "redirect: false\n");
        WeirPrefilter c = p("c", on("node1") + "rules: [{action: deny, protocol: UDP}]\n");
        assertThat(PrefilterMerge.forNode("node1", List.of(a, c)).settings().redirect()).isTrue();
        assertThat(PrefilterMerge.forNode("node1", List.of(c)).settings().redirect()).as("default").isFalse();
        assertThatThrownBy(() -> PrefilterMerge.forNode("node2", List.of(a, b)))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.path()).isEqualTo("spec.redirect");
                    assertThat(e.problem()).contains("redirect false conflicts with true of WeirPrefilter a");
                });
    }

    @Test
    void compiledToTheConfigFlagAndKeptInTheState() {
        PrefilterSettings on = PrefilterSettings.DEFAULT.withRedirect(true);
        assertThat(new RuleCompiler(Capacity.DEFAULT).compile(new RuleSet(on, List.of())).cfg().redirect()).isTrue();
        assertThat(new RuleCompiler(Capacity.DEFAULT).compile(new RuleSet(PrefilterSettings.DEFAULT, List.of())).cfg().redirect())
                .isFalse();
        PrefilterStore store = new PrefilterStore(dir);
        PrefilterState st = PrefilterState.fresh(Capacity.DEFAULT).withRules(new RuleSet(on, List.of()));
        store.save("s", st);
        assertThat(store.load("s")).contains(st);
        assertThat(on.withMode(PrefilterSettings.Mode.ALLOWLIST).withDryRun(true).redirect()).as("kept by the withers").isTrue();
    }

    @Test
    void theNodesPrefilterHandsItsPodsToTheDataplaneOnlyWhileOn() {
        FakePrefilterDataplane dp = new FakePrefilterDataplane("eth0");
        List<String> log = new ArrayList<>();
        NodePrefilter p = new NodePrefilter("node2", dir.resolve("pins"), new PrefilterStore(dir.resolve("run")), ns -> dp, log::add);
        List<RedirectPod> pods = List.of(new RedirectPod(7, List.of("10.244.1.20", "fd00:10:244:1::20"), "lxc-x-b", "02:00:00:00:00:01"));
        p.apply(NodePrefilterTest.spec("interfaces: [eth0]\nredirect: true\n"), "weir-node2", pods);
        assertThat(dp.redirectPods).isEqualTo(pods);
        p.apply(NodePrefilterTest.spec("interfaces: [eth0]\nredirect: false\n"), "weir-node2", pods);
        assertThat(dp.redirectPods).as("off: the maps are emptied").isNull();
        p.apply(NodePrefilterTest.spec("interfaces: [eth0]\nredirect: true\n"), "weir-node2", List.of());
        assertThat(dp.redirectPods).as("a pod that went is removed").isEmpty();
    }
}
