package dev.weir.datapath.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.HexFormat;

import dev.weir.ebpf.Codec;

import org.junit.jupiter.api.Test;

/** Codec round trips, byte order of the network-order fields, and the hash's fixed points. No kernel. */
class LbRecordTest {

    static <T> byte[] encode(Codec<T> codec, T v) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(codec.layout());
            codec.encode(v, s);
            assertThat(codec.decode(s)).isEqualTo(v);
            return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void svcKeyIsNetworkOrder() throws Exception {
        byte[] b = encode(LbSvcKey.CODEC, LbSvcKey.of(InetAddress.getByName("10.96.0.10"), 80, LbMaps.TCP, 1));
        assertThat(HexFormat.of().formatHex(b)).isEqualTo("00000000000000000000ffff0a60000a" + "0050" + "06" + "01");
    }

    @Test
    void roundTrips() throws Exception {
        InetAddress v6 = InetAddress.getByName("fd00:10:96::10");
        encode(LbSvcVal.CODEC, new LbSvcVal(7, 8, 3, LbMaps.F_MAGLEV | LbMaps.F_AFFINITY, 1, 30, 16381));
        encode(LbSlotKey.CODEC, new LbSlotKey(7, 65535, 255));
        encode(LbMaglevKey.CODEC, new LbMaglevKey(7, 16380, 1));
        byte[] be = encode(LbBackend.CODEC, LbBackend.of(v6, 8080, LbMaps.UDP, LbMaps.BE_TERMINATING));
        assertThat(be[16]).isEqualTo((byte) 0x1f);
        assertThat(be[17]).isEqualTo((byte) 0x90);
        encode(LbFrontend.CODEC, LbFrontend.of(v6, 53, LbMaps.UDP));
        encode(LbAffinityKey.CODEC, LbAffinityKey.ofNetns(4096, 7));
        encode(LbAffinityVal.CODEC, new LbAffinityVal(123456789L, 9));
        encode(LbSockRevKey.CODEC, new LbSockRevKey(-2L, new byte[16], 65535));
        assertThat(LbAffinityKey.ofNetns(4096, 7).isNetns()).isTrue();
        assertThat(LbAffinityKey.of(v6, 7).isNetns()).isFalse();
    }

    @Test
    void hashSpreadsAndDependsOnEveryField() throws Exception {
        byte[] a = LbSvcKey.of(InetAddress.getByName("127.0.0.1"), 0, 0, 0).addr();
        int h = LbHash.tuple(a, 1000, LbMaps.UDP);
        assertThat(LbHash.tuple(a, 1000, LbMaps.UDP)).isEqualTo(h);
        assertThat(LbHash.tuple(a, 1001, LbMaps.UDP)).isNotEqualTo(h);
        assertThat(LbHash.tuple(a, 1000, LbMaps.TCP)).isNotEqualTo(h);
        a[15] = 2;
        assertThat(LbHash.tuple(a, 1000, LbMaps.UDP)).isNotEqualTo(h);
        int[] buckets = new int[7];
        for (int port = 0; port < 7000; port++) {
            buckets[LbHash.maglevIndex(a, port, LbMaps.TCP, 7)]++;
        }
        assertThat(java.util.Arrays.stream(buckets).boxed().toList()).allSatisfy(n -> assertThat(n).isBetween(800, 1200));
    }
}
