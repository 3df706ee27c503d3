package dev.weir.datapath.nodeport;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.util.stream.Stream;

import dev.weir.datapath.BtfLayouts;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.Btf;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.ObjectSpec;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each nodeport record's layout equals its C struct in {@code nodeport.o}'s BTF, the maps have the codecs'
 * sizes, and {@code np_ct} and {@code np_frag} are the same maps in {@code tc_endpoint.o} (shared by pin). No kernel needed.
 */
class BtfAlignmentTest {

    private static final ObjectSpec SPEC = ObjectSpec.read(NodePortMaps.OBJECT, Datapath.object(NodePortMaps.OBJECT));
    private static final ObjectSpec EP = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
    private static final Btf BTF = SPEC.btf();

    static Stream<Arguments> structs() {
        return Stream.of(Arguments.of(NpCtKey.LAYOUT), Arguments.of(NpCtVal.LAYOUT), Arguments.of(NpCfg.LAYOUT),
                Arguments.of(LbSrcRangeKey.LAYOUT), Arguments.of(NpFragVal.LAYOUT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void layoutMatchesBtf(StructLayout layout) {
        BtfLayouts.assertMatches(BTF, layout);
    }

    static Stream<Arguments> maps() {
        return Stream.of(
                Arguments.of(SPEC, NodePortMaps.CT, NpCtKey.LAYOUT.byteSize(), NpCtVal.LAYOUT.byteSize(),
                        NodePortMaps.CT_ENTRIES),
                Arguments.of(EP, NodePortMaps.CT, NpCtKey.LAYOUT.byteSize(), NpCtVal.LAYOUT.byteSize(),
                        NodePortMaps.CT_ENTRIES),
                Arguments.of(SPEC, NodePortMaps.FRAG, dev.weir.datapath.endpoint.EpFragKey.LAYOUT.byteSize(), NpFragVal.LAYOUT.byteSize(), NodePortMaps.FRAG_ENTRIES),
                Arguments.of(EP, NodePortMaps.FRAG, dev.weir.datapath.endpoint.EpFragKey.LAYOUT.byteSize(), NpFragVal.LAYOUT.byteSize(), NodePortMaps.FRAG_ENTRIES),
                Arguments.of(SPEC, NodePortMaps.CFG, 4L, NpCfg.LAYOUT.byteSize(), 1),
                Arguments.of(SPEC, NodePortMaps.SRC_RANGE, LbSrcRangeKey.LAYOUT.byteSize(), 1L,
                        NodePortMaps.SRC_RANGE_ENTRIES),
                Arguments.of(EP, NodePortMaps.SRC_RANGE, LbSrcRangeKey.LAYOUT.byteSize(), 1L,
                        NodePortMaps.SRC_RANGE_ENTRIES));
    }

    @ParameterizedTest(name = "{1} in {0}")
    @MethodSource("maps")
    void mapSizesMatchCodecs(ObjectSpec spec, String map, long keySize, long valueSize, int entries) {
        MapSpec m = spec.map(map);
        assertThat(m.keySize()).as("%s key", map).isEqualTo(keySize);
        assertThat(m.valueSize()).as("%s value", map).isEqualTo(valueSize);
        assertThat(m.maxEntries()).as("%s entries", map).isEqualTo(entries);
    }
}
