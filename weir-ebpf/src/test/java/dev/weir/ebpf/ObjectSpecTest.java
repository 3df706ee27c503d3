package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/** Reading object files without the kernel: programs, maps, BTF. */
class ObjectSpecTest {

    private final ObjectSpec spec = TestObjects.maps();

    @Test
    void readsProgramsWithTypeAndSection() {
        assertThat(spec.name()).isEqualTo("test_maps");
        assertThat(spec.programs()).contains(
                new ProgramSpec("xdp_main", "xdp", ProgramType.XDP),
                new ProgramSpec("tc_main", "tc", ProgramType.SCHED_CLS),
                new ProgramSpec("cg_ingress", "cgroup_skb/ingress", ProgramType.CGROUP_SKB));
    }

    @Test
    void readsMapsWithTypesAndSizes() {
        assertThat(spec.map("t_hash")).isEqualTo(new MapSpec("t_hash", MapType.HASH, 16, 16, 1024, 0));
        assertThat(spec.map("t_lpm")).isEqualTo(new MapSpec("t_lpm", MapType.LPM_TRIE, 8, 4, 256, 1));
        assertThat(spec.map("t_events").type()).isEqualTo(MapType.RINGBUF);
        assertThat(spec.map("t_progs").type()).isEqualTo(MapType.PROG_ARRAY);
        assertThat(spec.maps()).anySatisfy(m -> {
            assertThat(m.name()).endsWith(".rodata");
            assertThat(m.isInternal()).isTrue();
        });
    }

    @Test
    void missingNamesListWhatExists() {
        assertThatThrownBy(() -> spec.map("nope")).isInstanceOf(BpfSpecException.class)
                .hasMessageContaining("no map 'nope'").hasMessageContaining("t_hash");
        assertThatThrownBy(() -> spec.program("nope")).isInstanceOf(BpfSpecException.class)
                .hasMessageContaining("xdp_main");
    }

    @Test
    void garbageIsASpecError() {
        assertThatThrownBy(() -> ObjectSpec.read("junk", new byte[] {1, 2, 3}))
                .isInstanceOf(BpfSpecException.class).hasMessageContaining("junk");
    }

    @Test
    void btfHasStructsAndRodataVariables() {
        BtfStruct key = spec.btf().struct("flow_key").orElseThrow();
        assertThat(key.size()).isEqualTo(16);
        assertThat(key.member("dport").orElseThrow()).isEqualTo(new BtfMember("dport", 10, 2));
        BtfStruct rodata = spec.btf().datasec(".rodata").orElseThrow();
        assertThat(rodata.members()).extracting(BtfMember::name).contains("CFG_VERDICT", "CFG_COOKIE");
        assertThat(rodata.member("CFG_COOKIE").orElseThrow().size()).isEqualTo(8);
    }

    /** The alignment check every datapath codec should have: Java layout == C layout from BTF. */
    @Test
    void codecsMatchTheirCStructs() {
        assertMatches(TestObjects.FlowKey.CODEC, "flow_key");
        assertMatches(TestObjects.Counter.CODEC, "counter");
        assertMatches(TestObjects.LpmV4.CODEC, "lpm_v4");
    }

    private void assertMatches(Codec<?> codec, String struct) {
        BtfStruct c = spec.btf().struct(struct).orElseThrow();
        assertThat(codec.size()).as("size of " + struct).isEqualTo(c.size());
        StructLayout layout = (StructLayout) codec.layout();
        for (BtfMember m : c.members()) {
            MemoryLayout.PathElement path = MemoryLayout.PathElement.groupElement(m.name());
            assertThat(layout.byteOffset(path)).as(struct + "." + m.name()).isEqualTo(m.offset());
            assertThat(layout.select(path).byteSize()).as(struct + "." + m.name() + " size").isEqualTo(m.size());
        }
    }
}
