package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NodePortModeTest {

    @Test
    void parsesBothModesAndNamesABadOne() {
        assertThat(NodePortMode.parse("snat")).isEqualTo(NodePortMode.SNAT);
        assertThat(NodePortMode.parse("DSR")).isEqualTo(NodePortMode.DSR);
        assertThatThrownBy(() -> NodePortMode.parse("direct")).hasMessage("--nodeport-mode must be snat or dsr, not 'direct'");
    }

    @Test
    void dsrNeedsNativeRouting() {
        assertThatThrownBy(() -> new AgentConfig.Site(null, null, null, null, null, Routing.TUNNEL, true, null, null, true,
                NodePortMode.DSR)).hasMessageStartingWith("--nodeport-mode dsr needs --routing native");
        assertThat(new AgentConfig.Site(null, null, null, null, null, Routing.NATIVE, true, null, null, true,
                NodePortMode.DSR).nodePortMode()).isEqualTo(NodePortMode.DSR);
        assertThat(AgentConfig.Site.DEFAULTS.nodePortMode()).as("as today").isEqualTo(NodePortMode.SNAT);
    }
}
