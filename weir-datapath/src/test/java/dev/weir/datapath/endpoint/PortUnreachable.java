package dev.weir.datapath.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

/**
 * Checks the answer of {@code bpf/lib/reject.h} in a packet out of a test run: an ICMP (ICMPv6) port
 * unreachable from the frontend to the client, MAC addresses swapped, quoting the client's IP header and
 * 8 bytes of its L4 header, with valid checksums. Untagged Ethernet frames only.
 */
final class PortUnreachable {

    private PortUnreachable() {
    }

    static void assertAnswers(byte[] in, byte[] out) {
        assertThat(Arrays.copyOfRange(out, 0, 6)).as("destination MAC").isEqualTo(Arrays.copyOfRange(in, 6, 12));
        assertThat(Arrays.copyOfRange(out, 6, 12)).as("source MAC").isEqualTo(Arrays.copyOfRange(in, 0, 6));
        boolean v4 = (in[14] & 0xf0) == 0x40;
        int ip = 14;
        if (v4) {
            assertThat(out).hasSize(14 + 20 + 8 + 28);
            assertThat(out[ip + 9]).as("protocol ICMP").isEqualTo((byte) 1);
            assertThat(Arrays.copyOfRange(out, ip + 12, ip + 16)).as("from the frontend").isEqualTo(Arrays.copyOfRange(in, ip + 16, ip + 20));
            assertThat(Arrays.copyOfRange(out, ip + 16, ip + 20)).as("to the client").isEqualTo(Arrays.copyOfRange(in, ip + 12, ip + 16));
            assertThat(fold(sum(out, ip, 20, 0))).as("IPv4 header checksum").isZero();
            int icmp = ip + 20;
            assertThat(out[icmp]).as("destination unreachable").isEqualTo((byte) 3);
            assertThat(out[icmp + 1]).as("port unreachable").isEqualTo((byte) 3);
            assertThat(fold(sum(out, icmp, out.length - icmp, 0))).as("ICMP checksum").isZero();
            assertThat(Arrays.copyOfRange(out, icmp + 8, out.length)).as("quote").isEqualTo(Arrays.copyOfRange(in, ip, ip + 28));
        } else {
            assertThat(out).hasSize(14 + 40 + 8 + 48);
            assertThat(out[ip + 6]).as("next header ICMPv6").isEqualTo((byte) 58);
            assertThat(Arrays.copyOfRange(out, ip + 8, ip + 24)).as("from the frontend").isEqualTo(Arrays.copyOfRange(in, ip + 24, ip + 40));
            assertThat(Arrays.copyOfRange(out, ip + 24, ip + 40)).as("to the client").isEqualTo(Arrays.copyOfRange(in, ip + 8, ip + 24));
            int icmp = ip + 40;
            assertThat(out[icmp]).as("destination unreachable").isEqualTo((byte) 1);
            assertThat(out[icmp + 1]).as("port unreachable").isEqualTo((byte) 4);
            int len = out.length - icmp;
            long pseudo = sum(out, ip + 8, 32, 0) + len + 58;
            assertThat(fold(sum(out, icmp, len, pseudo))).as("ICMPv6 checksum").isZero();
            assertThat(Arrays.copyOfRange(out, icmp + 8, out.length)).as("quote").isEqualTo(Arrays.copyOfRange(in, ip, ip + 48));
        }
    }

    /** Whether the bytes (a header with its checksum) sum to zero in one's complement. */
    static boolean sumsToZero(byte[] b, int off, int len) {
        return fold(sum(b, off, len, 0)) == 0;
    }

    private static long sum(byte[] b, int off, int len, long s) {
        for (int i = 0; i < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >> 16) != 0) {
            s = (s & 0xffff) + (s >> 16);
        }
        return (int) (~s & 0xffff);
    }
}
