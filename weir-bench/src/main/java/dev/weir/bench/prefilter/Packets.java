package dev.weir.bench.prefilter;

import java.nio.ByteBuffer;

/**
 * The benchmark's packets: valid Ethernet + IPv4 (or IPv6) + TCP SYN frames with correct checksums,
 * differing only in their source address. Stateless; every call returns a new array.
 */
final class Packets {

    static final int ETH_LEN = 14;
    static final int IP4_LEN = 20;
    static final int IP6_LEN = 40;
    static final int TCP_LEN = 20;

    private static final byte[] DST_MAC = {0x02, 0, 0, 0, 0, 0x02};
    private static final byte[] SRC_MAC = {0x02, 0, 0, 0, 0, 0x01};
    /** 198.51.100.10 (TEST-NET-2): outside every deny set. */
    static final byte[] DST4 = {(byte) 198, 51, 100, 10};
    /** 2001:db8:ffff::10: outside every deny set. */
    static final byte[] DST6 = {0x20, 0x01, 0x0d, (byte) 0xb8, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
    private static final int SPORT = 40_000;
    private static final int DPORT = 443;

    private Packets() {
    }

    /** A 54-byte TCP SYN from {@code src} (4 bytes, network order) to {@link #DST4}:443. */
    static byte[] tcpSyn4(byte[] src) {
        ByteBuffer b = ByteBuffer.allocate(ETH_LEN + IP4_LEN + TCP_LEN);
        ethernet(b, 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) (IP4_LEN + TCP_LEN))
                .putShort((short) 0x1234).putShort((short) 0x4000)          // id, DF
                .put((byte) 64).put((byte) 6).putShort((short) 0)            // ttl, TCP, checksum later
                .put(check(src, 4)).put(DST4);
        b.putShort(ip + 10, (short) fold(sum(b.array(), ip, IP4_LEN, 0)));
        long pseudo = sum(src, 0, 4, 0) + sum(DST4, 0, 4, 0) + 6 + TCP_LEN;
        tcp(b, pseudo);
        return b.array();
    }

    /** A 74-byte TCP SYN from {@code src} (16 bytes) to {@link #DST6}:443. */
    static byte[] tcpSyn6(byte[] src) {
        ByteBuffer b = ByteBuffer.allocate(ETH_LEN + IP6_LEN + TCP_LEN);
        ethernet(b, 0x86DD);
        b.putInt(0x6000_0000).putShort((short) TCP_LEN).put((byte) 6).put((byte) 64)
                .put(check(src, 16)).put(DST6);
        long pseudo = sum(src, 0, 16, 0) + sum(DST6, 0, 16, 0) + 6 + TCP_LEN;
        tcp(b, pseudo);
        return b.array();
    }

    private static void ethernet(ByteBuffer b, int etherType) {
        b.put(DST_MAC).put(SRC_MAC).putShort((short) etherType);
    }

    private static void tcp(ByteBuffer b, long pseudo) {
        int tcp = b.position();
        b.putShort((short) SPORT).putShort((short) DPORT).putInt(0x0bad_cafe).putInt(0)
                .put((byte) (5 << 4)).put((byte) 0x02)                     // doff 5, SYN
                .putShort((short) 64_240).putShort((short) 0).putShort((short) 0);
        b.putShort(tcp + 16, (short) fold(sum(b.array(), tcp, TCP_LEN, pseudo)));
    }

    private static byte[] check(byte[] addr, int len) {
        if (addr.length != len) {
            throw new IllegalArgumentException("address must be " + len + " bytes, not " + addr.length);
        }
        return addr;
    }

    /** One's-complement sum of 16-bit big-endian words, added to {@code acc}. */
    static long sum(byte[] a, int off, int len, long acc) {
        for (int i = 0; i < len; i += 2) {
            int hi = a[off + i] & 0xff;
            int lo = i + 1 < len ? a[off + i + 1] & 0xff : 0;
            acc += (hi << 8) | lo;
        }
        return acc;
    }

    /** Folds a sum to 16 bits and complements it: the Internet checksum. */
    static int fold(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) (~acc & 0xffff);
    }
}
