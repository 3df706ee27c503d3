package dev.weir.datapath.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class NodeMapSizesTest {

    @Test
    void overridesTheDefaults() {
        NodeMapSizes s = NodeMapSizes.parse(List.of("ct=262144", "np_ct=1024"));
        assertThat(s.of("ct")).isEqualTo(262144);
        assertThat(s.of("np_ct")).isEqualTo(1024);
        assertThat(s.of("pol")).isEqualTo(EndpointMaps.POL_ENTRIES);
        assertThat(s.of("np_frag")).isEqualTo(dev.weir.datapath.nodeport.NodePortMaps.FRAG_ENTRIES);
        assertThat(s.overrides()).containsExactly("ct=262144", "np_ct=1024");
        assertThat(NodeMapSizes.parse(s.overrides())).isEqualTo(s);
        assertThat(NodeMapSizes.parse(null)).isEqualTo(NodeMapSizes.DEFAULTS);
    }

    @Test
    void badOverridesNameWhatIsWrong() {
        assertThatThrownBy(() -> NodeMapSizes.parse(List.of("lb_svc=10")))
                .hasMessage("bad map size 'lb_svc=10': expected MAP=ENTRIES, MAP one of [pol, ipcache, ct, np_ct, np_frag]");
        assertThatThrownBy(() -> NodeMapSizes.parse(List.of("ct=lots"))).hasMessageContaining("entries must be a number");
        assertThatThrownBy(() -> NodeMapSizes.parse(List.of("ct=0"))).hasMessageContaining("entries must be 1..67108864");
    }
}
