package dev.weir.agent.prefilter;

import static dev.weir.agent.prefilter.PrefilterMergeTest.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.yaml.ValidationException;

/**
 * spec.synProxy from the object to the node's pf_syn_ports: read strictly (TCP, each port once), written back,
 * merged as a union, kept in the saved state, and written to the dataplane as the list of the moment.
 */
class SynProxySpecTest {

    @TempDir
    Path dir;

    @Test
    void readWrittenBackAndRefusedWhenWrong() {
        WeirPrefilter w = p("sp", "synProxy: [{port: 443, protocol: TCP}, {port: 80}]");
        assertThat(w.synProxy()).containsExactly(80, 443);
        assertThat(WeirPrefilterReader.parse(w.toDocument(), "sp.yaml").getFirst()).isEqualTo(w);
        assertThatThrownBy(() -> p("sp", "synProxy: [{port: 53, protocol: UDP}]"))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.path()).isEqualTo("spec.synProxy[0].protocol");
                    assertThat(e.problem()).contains("the SYN proxy is for TCP");
                });
        assertThatThrownBy(() -> p("sp", "synProxy: [{port: 80}, {port: 80}]")).hasMessageContaining("port 80 is listed twice");
        assertThatThrownBy(() -> p("sp", "synProxy: [{port: 0}]")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> p("sp", "synProxy: [{port: 80, mss: 1460}]")).isInstanceOf(ValidationException.class);
    }

    @Test
    void objectsAddUpAndTheDataplaneGetsTheList() {
        NodePrefilterSpec spec = NodePrefilterTest.spec("interfaces: [eth0]\nsynProxy: [{port: 80}]",
                "synProxy: [{port: 443}, {port: 80}]");
        assertThat(spec.settings().synProxy()).containsExactly(80, 443);

        FakePrefilterDataplane dp = new FakePrefilterDataplane("eth0");
        NodePrefilter node = new NodePrefilter("node2", dir.resolve("pins"), new PrefilterStore(dir.resolve("run")),
                ns -> dp, s -> { });
        node.apply(spec, "weir-node2");
        assertThat(dp.synProxy).containsExactly(80, 443);
        assertThat(node.status().state().orElseThrow().rules().settings().synProxy()).containsExactly(80, 443);
        node.apply(NodePrefilterTest.spec("interfaces: [eth0]\nsynProxy: [{port: 22}]"), "weir-node2");
        assertThat(dp.synProxy).containsExactly(22);
        assertThat(new PrefilterStore(dir.resolve("run")).load(NodePrefilter.SCOPE).orElseThrow().rules().settings().synProxy())
                .as("the saved state reads back").containsExactly(22);
    }

    @Test
    void theImperativeSetReplacesTheList() {
        WeirPrefilter w = ImperativePrefilter.set(ImperativePrefilter.empty("node1"), null, null, null, null, null, List.of(8080));
        assertThat(w.synProxy()).containsExactly(8080);
        assertThat(ImperativePrefilter.set(w, null, null, null, null, null, List.of()).synProxy()).isEmpty();
        assertThat(ImperativePrefilter.set(w, null, null, null, null, true).synProxy()).containsExactly(8080);
        assertThatThrownBy(() -> ImperativePrefilter.set(w, null, null, null, null, null, List.of(70000)))
                .hasMessageContaining("--syn-proxy: port 70000 out of range");
    }
}
