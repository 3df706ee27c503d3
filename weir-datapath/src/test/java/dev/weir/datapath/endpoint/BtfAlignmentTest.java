package dev.weir.datapath.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.util.stream.Stream;

import dev.weir.datapath.Datapath;
import dev.weir.ebpf.Btf;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.datapath.BtfLayouts;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each record's layout equals its C struct in the compiled object's BTF: same size, same members in
 * the same order at the same offsets with the same sizes (Cilium's alignchecker). No kernel needed.
 */
class BtfAlignmentTest {

    private static final Btf BTF = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT)).btf();

    static Stream<Arguments> structs() {
        return Stream.of(
                Arguments.of(EpInfo.LAYOUT),
                Arguments.of(EpCfg.LAYOUT),
                Arguments.of(IpcacheKey.LAYOUT),
                Arguments.of(IpcacheVal.LAYOUT),
                Arguments.of(PolKey.LAYOUT),
                Arguments.of(PolVal.LAYOUT),
                Arguments.of(CtKey.LAYOUT),
                Arguments.of(CtVal.LAYOUT),
                Arguments.of(EpFragKey.LAYOUT),
                Arguments.of(EpFragVal.LAYOUT),
                Arguments.of(Counter.LAYOUT),
                Arguments.of(FlowEvent.LAYOUT),
                Arguments.of(LbTc.SVC_KEY),
                Arguments.of(LbTc.SVC_VAL),
                Arguments.of(LbTc.SLOT_KEY),
                Arguments.of(LbTc.MAGLEV_KEY),
                Arguments.of(LbTc.BACKEND_VAL),
                Arguments.of(LbTc.FRONTEND),
                Arguments.of(LbTc.AFFINITY_KEY),
                Arguments.of(LbTc.AFFINITY_VAL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void layoutMatchesBtf(StructLayout layout) {
        BtfLayouts.assertMatches(BTF, layout);
    }
}
