package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class CodecTest {

    private static <T> T roundTrip(Codec<T> codec, T value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(codec.size());
            codec.encode(value, s);
            return codec.decode(s);
        }
    }

    @Test
    void builtinsHaveKernelSizesAndRoundTrip() {
        assertThat(Codec.u8().size()).isEqualTo(1);
        assertThat(Codec.u16().size()).isEqualTo(2);
        assertThat(Codec.u32().size()).isEqualTo(4);
        assertThat(Codec.u64().size()).isEqualTo(8);
        assertThat(Codec.bytes(6).size()).isEqualTo(6);
        assertThat(roundTrip(Codec.u8(), 255)).isEqualTo(255);
        assertThat(roundTrip(Codec.u16(), 65535)).isEqualTo(65535);
        assertThat(roundTrip(Codec.u32(), -1)).isEqualTo(-1);
        assertThat(roundTrip(Codec.u64(), Long.MIN_VALUE)).isEqualTo(Long.MIN_VALUE);
        assertThat(roundTrip(Codec.bytes(3), new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
    }

    @Test
    void builtinsAreLittleEndian() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4);
            Codec.u32().encode(0x01020304, s);
            assertThat(s.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 4);
        }
    }

    @Test
    void bytesRejectsWrongLength() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> Codec.bytes(4).encode(new byte[3], arena.allocate(4)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void structCodecRoundTripsInNetworkOrder() {
        var key = new TestObjects.FlowKey(TestObjects.ipv4(10, 0, 0, 1), TestObjects.ipv4(10, 0, 0, 2), 1234, 80, 6);
        assertThat(roundTrip(TestObjects.FlowKey.CODEC, key)).isEqualTo(key);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(16);
            TestObjects.FlowKey.CODEC.encode(key, s);
            assertThat(s.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 10);
            assertThat(s.get(ValueLayout.JAVA_BYTE, 11)).isEqualTo((byte) 80);
        }
    }

    @Test
    void errnoNamesNumbers() {
        assertThat(Errno.of(7)).isEqualTo(Errno.E2BIG);
        assertThat(Errno.of(-2)).isEqualTo(Errno.ENOENT);
        assertThat(Errno.of(9999)).isEqualTo(Errno.UNKNOWN);
        var e = new BpfKernelException("bpf_map_update_elem", "ct4", -7);
        assertThat(e).hasMessage("bpf_map_update_elem(ct4): E2BIG (7)");
        assertThat(e.errno()).isEqualTo(Errno.E2BIG);
        assertThat(new BpfKernelException("x", "y", 9999).errnoCode()).isEqualTo(9999);
    }
}
