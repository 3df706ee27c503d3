package dev.weir.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatapathTest {

    @Test
    void embedsThePrefilterObject() {
        byte[] elf = Datapath.object("xdp_prefilter");
        assertThat(elf).startsWith(0x7f, 'E', 'L', 'F');
        assertThat(elf[18]).as("e_machine EM_BPF").isEqualTo((byte) 247);
    }

    @Test
    void unknownObject() {
        assertThatThrownBy(() -> Datapath.object("nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope");
    }
}
