package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's side of a node's prefilter, against a dataplane in memory: it attaches and detaches what the
 * merged objects name (and only its own links), keeps rule ids (and so counters) of rules that stay, survives a
 * restart without changing anything, and removes everything when no object selects the node.
 */
class NodePrefilterTest {

    @TempDir
    Path dir;

    private final FakePrefilterDataplane dp = new FakePrefilterDataplane("eth0", "eth1");
    private final List<String> log = new ArrayList<>();

    private NodePrefilter prefilter() {
        return new NodePrefilter("node2", dir.resolve("pins"), new PrefilterStore(dir.resolve("run")), ns -> {
            assertThat(ns).isEqualTo("weir-node2");
            return dp;
        }, log::add);
    }

    static NodePrefilterSpec spec(String... objectSpecs) {
        List<WeirPrefilter> objects = new ArrayList<>();
        for (int i = 0; i < objectSpecs.length; i++) {
            objects.add(PrefilterMergeTest.p("o" + i, objectSpecs[i]));
        }
        return PrefilterMerge.forNode("node2", objects);
    }

    private Map<PrefilterRule, Integer> ids(NodePrefilter p) {
        Map<PrefilterRule, Integer> out = new HashMap<>();
        p.status().state().orElseThrow().rules().rules().forEach(r -> out.put(r.withId(0), r.id()));
        return out;
    }

    @Test
    void attachesWritesAndKeepsIdsOfRulesThatStay() {
        NodePrefilter p = prefilter();
        p.apply(spec("interfaces: [eth0]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24, 198.51.100.0/24]}]"), "weir-node2");
        assertThat(dp.links).containsExactly(Map.entry("eth0", "native"));
        assertThat(dp.maps.src4()).hasSize(2);
        Map<PrefilterRule, Integer> before = ids(p);
        assertThat(before.values()).containsExactlyInAnyOrder(1, 2);

        dp.resets.clear();
        p.apply(spec("interfaces: [eth0, eth1]\nrules: [{action: deny, sourceCIDRs: [198.51.100.0/24, 203.0.113.0/24]}]"), "weir-node2");
        assertThat(dp.links).containsOnlyKeys("eth0", "eth1");
        Map<PrefilterRule, Integer> after = ids(p);
        PrefilterRule stays = PrefilterMergeTest.deny("198.51.100.0/24");
        assertThat(after.get(stays)).as("a rule that stays keeps its id").isEqualTo(before.get(stays));
        int reused = after.get(PrefilterMergeTest.deny("203.0.113.0/24"));
        assertThat(reused).as("the freed id is reused").isEqualTo(before.get(PrefilterMergeTest.deny("192.0.2.0/24")));
        assertThat(dp.resets).as("a reused id's counter starts from zero").containsExactly(reused);

        NodePrefilter.Status s = p.status();
        assertThat(s.reasons()).containsKey(128);
        assertThat(s.rules()).containsKeys(0, 1, 2);
        assertThat(s.spec().objects()).containsExactly("o0");
    }

    @Test
    void aRestartedAgentChangesNothing() {
        NodePrefilterSpec s = spec("interfaces: [eth0]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}]");
        prefilter().apply(s, "weir-node2");
        int writes = dp.writes;
        Map<String, String> links = Map.copyOf(dp.links);
        NodePrefilter again = prefilter();
        again.apply(s, "weir-node2");
        assertThat(dp.links).isEqualTo(links);
        assertThat(dp.maps.src4()).hasSize(1);
        assertThat(dp.resets).as("no counter reset: every rule keeps its id").isEmpty();
        assertThat(dp.writes - writes).as("at most the config entry again, no rule moved").isLessThanOrEqualTo(1);
        again.apply(s, "weir-node2");
        assertThat(dp.writes - writes).as("nothing at all when nothing changed since").isLessThanOrEqualTo(1);
    }

    @Test
    void anotherXdpModeReattaches() {
        NodePrefilter p = prefilter();
        p.apply(spec("interfaces: [eth0]\n"), "weir-node2");
        assertThat(dp.links).containsEntry("eth0", "native");
        p.apply(spec("interfaces: [eth0]\nxdpMode: generic\n"), "weir-node2");
        assertThat(dp.links).containsEntry("eth0", "generic");
    }

    @Test
    void aMissingInterfaceFailsTheApplyButTheRestIsDoneAndRetried() {
        NodePrefilter p = prefilter();
        NodePrefilterSpec s = spec("interfaces: [eth0, eth9]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}]");
        assertThatThrownBy(() -> p.apply(s, "weir-node2")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("prefilter of node2: no interface eth9 in network namespace weir-node2");
        assertThat(dp.links).containsOnlyKeys("eth0");
        assertThat(dp.maps.src4()).hasSize(1);
        assertThatThrownBy(() -> p.apply(s, "weir-node2")).as("tried again, not skipped as done").hasMessageContaining("eth9");
    }

    @Test
    void noSelectingObjectRemovesOnlyWhatItAttached() {
        NodePrefilter p = prefilter();
        p.apply(spec("interfaces: [eth0, eth1]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}]"), "weir-node2");
        p.apply(spec("interfaces: [eth1]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}]"), "weir-node2");
        assertThat(dp.links).containsOnlyKeys("eth1");
        p.apply(NodePrefilterSpec.NONE, "weir-node2");
        assertThat(dp.links).isEmpty();
        assertThat(dp.loaded).isFalse();
        assertThat(p.status().state()).as("the state goes too").isEmpty();
        assertThat(dir.resolve("run/prefilter/state.json")).doesNotExist();
    }

    @Test
    void rulesWithoutInterfacesAreKeptUnloaded() {
        NodePrefilter p = prefilter();
        p.apply(spec("rules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}]"), "weir-node2");
        assertThat(dp.loaded).isFalse();
        assertThat(ids(p)).hasSize(1);
        p.apply(spec("interfaces: [eth0]\nrules: [{action: deny, sourceCIDRs: [192.0.2.0/24]}]"), "weir-node2");
        assertThat(dp.loaded).isTrue();
        assertThat(dp.maps.src4()).as("the saved rules are written at the first attach").hasSize(1);
    }
}
