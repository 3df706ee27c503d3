package dev.weir.datapath.prefilter;

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

    private static final Btf BTF = ObjectSpec.read(PrefilterMaps.OBJECT, Datapath.object(PrefilterMaps.OBJECT)).btf();

    static Stream<Arguments> structs() {
        return Stream.of(
                Arguments.of(PfCfg.LAYOUT),
                Arguments.of(PfLpm4Key.LAYOUT),
                Arguments.of(PfLpm6Key.LAYOUT),
                Arguments.of(PfNetKey.LAYOUT4),
                Arguments.of(PfNetKey.LAYOUT6),
                Arguments.of(PfPrefixValue.LAYOUT),
                Arguments.of(PfAddr.LAYOUT),
                Arguments.of(PfBucket.LAYOUT),
                Arguments.of(PfFragKey.LAYOUT),
                Arguments.of(PfFragVal.LAYOUT),
                Arguments.of(PfCounter.LAYOUT),
                Arguments.of(PfEvent.LAYOUT),
                Arguments.of(PfRdrEp.LAYOUT),
                Arguments.of(PfRdrIf.LAYOUT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void layoutMatchesBtf(StructLayout layout) {
        BtfLayouts.assertMatches(BTF, layout);
    }
}
