package dev.weir.bench.policy;

import java.nio.ByteBuffer;

/**
 * The TC benchmarks' frames: Ethernet + IPv4 + TCP with any flags and ports, checksums correct (the
 * datapath does not check them, but a frame should be one a NIC could deliver). Stateless.
 */
public final class TcFrames {

    public static final int SYN = 0x02;
    public static final int ACK = 0x10;

    private TcFrames() {
    }

    /** A 54-byte TCP segment without payload. Addresses are 4 bytes, network order. */
    public static byte[] tcp4(byte[] src, byte[] dst, int sport, int dport, int flags) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20);
        b.put(new byte[] {2, 0, 0, 0, 0, 2}).put(new byte[] {2, 0, 0, 0, 0, 1}).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) 0x1234).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 6).putShort((short) 0).put(src).put(dst);
        b.putShort(24, (short) fold(sum(b.array(), 14, 20, 0)));
        b.putShort((short) sport).putShort((short) dport).putInt(0x0bad_cafe).putInt(flags == SYN ? 0 : 1)
                .put((byte) (5 << 4)).put((byte) flags).putShort((short) 64_240).putShort((short) 0).putShort((short) 0);
        long pseudo = sum(src, 0, 4, 0) + sum(dst, 0, 4, 0) + 6 + 20;
        b.putShort(34 + 16, (short) fold(sum(b.array(), 34, 20, pseudo)));
        return b.array();
    }

    /** 10.a.b.c as bytes. */
    public static byte[] ip4(int a, int b, int c, int d) {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d};
    }

    private static long sum(byte[] a, int off, int len, long acc) {
        for (int i = 0; i < len; i += 2) {
            acc += ((a[off + i] & 0xff) << 8) | (a[off + i + 1] & 0xff);
        }
        return acc;
    }

    private static int fold(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) (~acc & 0xffff);
    }
}
