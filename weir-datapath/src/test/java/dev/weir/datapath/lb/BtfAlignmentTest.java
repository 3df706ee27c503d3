package dev.weir.datapath.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.StructLayout;
import java.util.stream.Stream;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.ebpf.Btf;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.datapath.BtfLayouts;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each LB record's layout equals its C struct ({@code bpf/lib/lb.h}) in the socket-LB object's BTF, and
 * the object's maps have the key and value sizes of the codecs. No kernel needed.
 */
class BtfAlignmentTest {

    private static final ObjectSpec SPEC = ObjectSpec.read(LbMaps.SOCK_OBJECT, Datapath.object(LbMaps.SOCK_OBJECT));
    private static final Btf BTF = SPEC.btf();

    static Stream<Arguments> structs() {
        return Stream.of(
                Arguments.of(LbSvcKey.LAYOUT),
                Arguments.of(LbSvcVal.LAYOUT),
                Arguments.of(LbSlotKey.LAYOUT),
                Arguments.of(LbMaglevKey.LAYOUT),
                Arguments.of(LbBackend.LAYOUT),
                Arguments.of(LbFrontend.LAYOUT),
                Arguments.of(LbAffinityKey.LAYOUT),
                Arguments.of(LbAffinityVal.LAYOUT),
                Arguments.of(LbSockRevKey.LAYOUT),
                Arguments.of(Counter.LAYOUT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void layoutMatchesBtf(StructLayout layout) {
        BtfLayouts.assertMatches(BTF, layout);
    }

    static Stream<Arguments> maps() {
        return Stream.of(
                Arguments.of(LbMaps.SVC, LbSvcKey.LAYOUT.byteSize(), LbSvcVal.LAYOUT.byteSize(), LbMaps.SVC_ENTRIES),
                Arguments.of(LbMaps.SLOT, LbSlotKey.LAYOUT.byteSize(), 4L, LbMaps.SLOT_ENTRIES),
                Arguments.of(LbMaps.BACKEND, 4L, LbBackend.LAYOUT.byteSize(), LbMaps.BACKEND_ENTRIES),
                Arguments.of(LbMaps.REVNAT, 4L, LbFrontend.LAYOUT.byteSize(), LbMaps.REVNAT_ENTRIES),
                Arguments.of(LbMaps.AFFINITY, LbAffinityKey.LAYOUT.byteSize(), LbAffinityVal.LAYOUT.byteSize(),
                        LbMaps.AFFINITY_ENTRIES),
                Arguments.of(LbMaps.MAGLEV, LbMaglevKey.LAYOUT.byteSize(), 4L, LbMaps.MAGLEV_ENTRIES),
                Arguments.of(LbMaps.SOCK_REV, LbSockRevKey.LAYOUT.byteSize(), LbFrontend.LAYOUT.byteSize(),
                        LbMaps.SOCK_REV_ENTRIES));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("maps")
    void mapSizesMatchCodecs(String map, long keySize, long valueSize, int entries) {
        MapSpec m = SPEC.map(map);
        assertThat(m.keySize()).as("%s key", map).isEqualTo(keySize);
        assertThat(m.valueSize()).as("%s value", map).isEqualTo(valueSize);
        assertThat(m.maxEntries()).as("%s entries", map).isEqualTo(entries);
    }

    @Test
    void everyHookIsAProgram() {
        assertThat(SPEC.programs()).extracting(p -> p.name())
                .containsExactlyInAnyOrderElementsOf(LbMaps.SOCK_HOOKS.stream().map(LbMaps.Hook::program).toList());
        for (LbMaps.Hook h : LbMaps.SOCK_HOOKS) {
            String suffix = h.program().replace("weir_", "").replace("getpeer", "getpeername");
            assertThat(SPEC.program(h.program()).section()).isEqualTo("cgroup/" + suffix);
        }
    }
}
