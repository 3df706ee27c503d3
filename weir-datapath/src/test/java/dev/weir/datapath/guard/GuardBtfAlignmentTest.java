package dev.weir.datapath.guard;

import java.lang.foreign.StructLayout;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.weir.datapath.BtfLayouts;
import dev.weir.datapath.Datapath;
import dev.weir.ebpf.Btf;
import dev.weir.ebpf.ObjectSpec;

/** The guard's records against {@code sock_guard.o}'s BTF (no kernel needed; flow_event is checked against tc_endpoint's). */
class GuardBtfAlignmentTest {

    private static final Btf BTF = ObjectSpec.read(GuardMaps.OBJECT, Datapath.object(GuardMaps.OBJECT)).btf();

    static Stream<Arguments> structs() {
        return Stream.of(Arguments.of(GuardVal.LAYOUT), Arguments.of(GuardVal.Rule.LAYOUT),
                Arguments.of(GuardVal.Port.LAYOUT), Arguments.of(GuardPeerKey.LAYOUT),
                Arguments.of(GuardVal.Set.LAYOUT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void layoutMatchesBtf(StructLayout layout) {
        BtfLayouts.assertMatches(BTF, layout);
    }
}
