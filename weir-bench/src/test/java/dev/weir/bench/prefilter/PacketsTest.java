package dev.weir.bench.prefilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class PacketsTest {

    private static final byte[] SRC4 = {(byte) 203, 0, 113, 7};

    @Test
    void ipv4SynHasValidHeadersAndChecksums() {
        byte[] p = Packets.tcpSyn4(SRC4);
        assertThat(p).hasSize(54);
        assertThat(p[12]).isEqualTo((byte) 0x08);
        assertThat(p[13]).isEqualTo((byte) 0x00);
        assertThat(p[14]).isEqualTo((byte) 0x45);
        assertThat(Arrays.copyOfRange(p, 26, 30)).isEqualTo(SRC4);
        assertThat(Arrays.copyOfRange(p, 30, 34)).isEqualTo(Packets.DST4);
        // a header with a correct checksum sums to 0xffff, i.e. folds to 0
        assertThat(Packets.fold(Packets.sum(p, 14, 20, 0))).isZero();
        long pseudo = Packets.sum(SRC4, 0, 4, 0) + Packets.sum(Packets.DST4, 0, 4, 0) + 6 + 20;
        assertThat(Packets.fold(Packets.sum(p, 34, 20, pseudo))).isZero();
        assertThat(p[47]).as("TCP flags: SYN only").isEqualTo((byte) 0x02);
    }

    @Test
    void ipv6SynHasValidHeaderAndChecksum() {
        byte[] src = new byte[16];
        src[0] = 0x20;
        src[15] = 1;
        byte[] p = Packets.tcpSyn6(src);
        assertThat(p).hasSize(74);
        assertThat(p[12]).isEqualTo((byte) 0x86);
        assertThat(p[13]).isEqualTo((byte) 0xdd);
        assertThat(p[14] & 0xf0).isEqualTo(0x60);
        assertThat(p[20]).as("next header TCP").isEqualTo((byte) 6);
        assertThat(Arrays.copyOfRange(p, 22, 38)).isEqualTo(src);
        long pseudo = Packets.sum(src, 0, 16, 0) + Packets.sum(Packets.DST6, 0, 16, 0) + 6 + 20;
        assertThat(Packets.fold(Packets.sum(p, 54, 20, pseudo))).isZero();
    }
}
