package dev.weir.datapath.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** PolKey's wire form and canonical prefixes; codecs round trip. No kernel needed. */
class PolKeyTest {

    @Test
    void wireFormIsBigEndianWhereTheStructSaysSo() {
        PolKey k = PolKey.port(0x0102, 1, EndpointMaps.DIR_EGRESS, 0x01000000, 4, 6, 443);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(PolKey.CODEC.size());
            PolKey.CODEC.encode(k, s);
            assertThat(HexFormat.of().formatHex(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                    .isEqualTo("80000000" + "00000102" + "0101" + "0000" + "01000000" + "04" + "06" + "01bb");
            assertThat(PolKey.CODEC.decode(s)).isEqualTo(k);
        }
    }

    @Test
    void fieldsPastThePrefixAreZero() {
        assertThat(new PolKey(96, 1, 0, 0, 5, 4, 6, 80)).isEqualTo(PolKey.peer(1, 0, 0, 5));
        assertThat(new PolKey(120, 1, 0, 0, 5, 4, 6, 0x1234)).isEqualTo(new PolKey(120, 1, 0, 0, 5, 4, 6, 0x1200));
        assertThat(PolKey.portPrefix(1, 0, 0, 5, 4, 6, 8099, 14)).isEqualTo(PolKey.portPrefix(1, 0, 0, 5, 4, 6, 8096, 14));
        assertThatThrownBy(() -> new PolKey(95, 1, 0, 0, 0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordsRoundTrip() {
        try (Arena a = Arena.ofConfined()) {
            CtKey ck = CtKey.of(Frames.ip("10.0.0.1"), Frames.ip("fd00::2"), 1, 65535, 6, 1, 7);
            MemorySegment s = a.allocate(CtKey.CODEC.size());
            CtKey.CODEC.encode(ck, s);
            assertThat(CtKey.CODEC.decode(s)).isEqualTo(ck);
            assertThat(ck.reversed().reversed()).isEqualTo(ck);
            CtVal cv = new CtVal(1, 2, 3, 4, 5, 6, 7, 8, 2, 1, 0x12, 9, 10, 11);
            MemorySegment v = a.allocate(CtVal.CODEC.size());
            CtVal.CODEC.encode(cv, v);
            assertThat(CtVal.CODEC.decode(v)).isEqualTo(cv);
            IpcacheKey ik = IpcacheKey.of(Frames.ip("10.1.0.0"), 16);
            assertThat(ik.prefixLen()).isEqualTo(112);
            assertThat(IpcacheKey.host(Frames.ip("fd00::1")).prefixLen()).isEqualTo(128);
        }
    }
}
