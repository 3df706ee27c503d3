package dev.weir.datapath.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;

import dev.weir.datapath.BtfLayouts;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.Mem;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.MapType;
import dev.weir.ebpf.ObjectSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The capture records against {@code struct cap_cfg} / {@code struct cap_event} in the BTF of every object
 * that captures, the maps' types and sizes, and the decoding of a record. No kernel needed.
 */
class CaptureLayoutTest {

    static Stream<String> objects() {
        return Stream.of("tc_endpoint", "nodeport", "xdp_prefilter");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objects")
    void layoutsAndMapsMatchTheObject(String object) {
        ObjectSpec spec = ObjectSpec.read(object, Datapath.object(object));
        BtfLayouts.assertMatches(spec.btf(), CapCfg.LAYOUT);
        BtfLayouts.assertMatches(spec.btf(), CapEvent.LAYOUT);
        MapSpec cfg = spec.map(CaptureMaps.CFG);
        assertThat(cfg.valueSize()).isEqualTo(CapCfg.LAYOUT.byteSize());
        assertThat(cfg.maxEntries()).isEqualTo(1);
        MapSpec events = spec.map(CaptureMaps.EVENTS);
        assertThat(events.type()).isEqualTo(MapType.RINGBUF);
        assertThat(events.maxEntries()).isEqualTo(CaptureMaps.EVENTS_BYTES);
        assertThat(spec.map(CaptureMaps.STATS).maxEntries()).isEqualTo(2);
    }

    @Test
    void theSocketFiltersConfigMatchesItsObject() {
        ObjectSpec spec = ObjectSpec.read(SfCfg.OBJECT, Datapath.object(SfCfg.OBJECT));
        BtfLayouts.assertMatches(spec.btf(), SfCfg.LAYOUT);
        assertThat(spec.map(SfCfg.MAP).valueSize()).isEqualTo(SfCfg.LAYOUT.byteSize());
        assertThat(spec.program(SfCfg.PROGRAM).type()).isEqualTo(dev.weir.ebpf.ProgramType.SOCKET_FILTER);
    }

    @Test
    void decodesARecordAndKeepsOnlyTheCapturedBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(CapEvent.LAYOUT);
            Mem.u64(s, 0, 123L);
            Mem.u32(s, 8, 7);
            Mem.u32(s, 12, 1514);
            Mem.u32(s, 16, 3);
            Mem.u32(s, 20, 42);
            Mem.u32(s, 24, 300);
            Mem.u32(s, 28, 301);
            Mem.u16(s, 32, 142);
            Mem.u8(s, 34, 3);
            Mem.u8(s, 35, 2);
            Mem.u8(s, 36, 0);
            Mem.bytes(s, Mem.offset(CapEvent.LAYOUT, "data"), new byte[] {1, 2, 3, 4});
            CapEvent e = CapEvent.decode(s);
            assertThat(e.tsNs()).isEqualTo(123L);
            assertThat(e.ifindex()).isEqualTo(7);
            assertThat(e.pktLen()).isEqualTo(1514);
            assertThat(e.epId()).isEqualTo(42);
            assertThat(e.srcIdentity()).isEqualTo(300);
            assertThat(e.dstIdentity()).isEqualTo(301);
            assertThat(e.reason()).isEqualTo(142);
            assertThat(e.hook()).isEqualTo(CaptureMaps.Hook.TO_EP);
            assertThat(e.verdict()).isEqualTo(2);
            assertThat(e.data()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void hooksParseByTheirNames() {
        assertThat(CaptureMaps.Hook.parse("prefilter")).isEqualTo(CaptureMaps.Hook.PREFILTER);
        assertThat(CaptureMaps.Hook.parse("xdp")).isEqualTo(CaptureMaps.Hook.PREFILTER);
        assertThat(CaptureMaps.Hook.parse("weir_to_ep")).isEqualTo(CaptureMaps.Hook.TO_EP);
        assertThat(CaptureMaps.Hook.parse("from-netdev")).isEqualTo(CaptureMaps.Hook.FROM_NETDEV);
        assertThat(CaptureMaps.Hook.FROM_EP.label()).isEqualTo("tc/weir_from_ep");
        assertThatThrownBy(() -> CaptureMaps.Hook.parse("eth0")).hasMessageContaining("unknown hook 'eth0'");
        assertThatThrownBy(() -> new CapCfg(4, 0, 0)).hasMessageContaining("snaplen 0");
    }
}
