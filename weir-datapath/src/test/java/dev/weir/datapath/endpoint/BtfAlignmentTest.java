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
                Arguments.of(dev.weir.datapath.lb.LbSvcKey.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbSvcVal.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbSlotKey.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbMaglevKey.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbBackend.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbFrontend.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbAffinityKey.LAYOUT),
                Arguments.of(dev.weir.datapath.lb.LbAffinityVal.LAYOUT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void layoutMatchesBtf(StructLayout layout) {
        BtfLayouts.assertMatches(BTF, layout);
    }
}
