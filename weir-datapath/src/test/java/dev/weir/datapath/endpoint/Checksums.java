package dev.weir.datapath.endpoint;

import java.nio.ByteBuffer;
import dev.weir.testkit.Frames;

/**
 * Internet checksums of the test frames (Ethernet, untagged IPv4 with or without options or IPv6 with or without
 * hop-by-hop, routing, destination options and fragment headers, then TCP, UDP, ICMP or ICMPv6): {@link #fill} writes correct ones into a frame, {@link #check}
 * recomputes them over a frame the program left and returns what was wrong, if anything.
 */
final class Checksums {

    private Checksums() {
    }

    /** A copy of the frame with the IPv4 header and TCP/UDP checksums set (UDP optionally left zero). */
    static byte[] fill(byte[] frame, boolean udpZero) {
        byte[] f = frame.clone();
        ByteBuffer b = ByteBuffer.wrap(f);
        int l3 = 14;
        boolean v4 = b.getShort(12) == Frames.ETH_P_IP;
        int l4 = l4Offset(f);
        int proto = l4Proto(f);
        int csumOff = l4 + csumAt(proto);
        if (v4) {
            b.putShort(l3 + 10, (short) 0);
            b.putShort(l3 + 10, (short) ~fold(sum(f, l3, (f[l3] & 0x0f) * 4, 0)));
        }
        b.putShort(csumOff, (short) 0);
        if (proto == Frames.UDP && udpZero) {
            return f;
        }
        int c = ~fold(l4Sum(f, l3, l4, proto, v4)) & 0xffff;
        if (c == 0 && proto == Frames.UDP) {
            c = 0xffff;
        }
        b.putShort(csumOff, (short) c);
        return f;
    }

    /** Empty when the frame's checksums are right, else what is wrong. */
    static String check(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        int l3 = 14;
        boolean v4 = b.getShort(12) == Frames.ETH_P_IP;
        int l4 = l4Offset(f);
        int proto = l4Proto(f);
        StringBuilder out = new StringBuilder();
        if (v4 && fold(sum(f, l3, (f[l3] & 0x0f) * 4, 0)) != 0xffff) {
            out.append("IPv4 header checksum wrong; ");
        }
        int csum = b.getShort(l4 + csumAt(proto)) & 0xffff;
        if (proto == Frames.UDP && csum == 0) {
            return out.toString(); // no checksum
        }
        if (fold(l4Sum(f, l3, l4, proto, v4)) != 0xffff) {
            out.append(proto == Frames.TCP ? "TCP" : proto == Frames.UDP ? "UDP" : "ICMP").append(" checksum wrong");
        }
        return out.toString();
    }

    /** Whether the frame's UDP checksum field is zero. */
    static boolean udpZero(byte[] f) {
        boolean v4 = ByteBuffer.wrap(f).getShort(12) == Frames.ETH_P_IP;
        int l4 = v4 ? 14 + (f[14] & 0x0f) * 4 : l4Offset(f);
        return f[l4 + 6] == 0 && f[l4 + 7] == 0;
    }

    /** Where the L4 header of the frame begins: after IPv4's options, or after IPv6's extension headers. */
    static int l4Offset(byte[] f) {
        return l4(f)[0];
    }

    /** The frame's L4 protocol (after IPv6's extension headers). */
    static int l4Proto(byte[] f) {
        return l4(f)[1];
    }

    /** The L4 header's offset and protocol. */
    private static int[] l4(byte[] f) {
        if (ByteBuffer.wrap(f).getShort(12) == Frames.ETH_P_IP) {
            return new int[] {14 + (f[14] & 0x0f) * 4, f[23] & 0xff};
        }
        int off = 54;
        int next = f[20] & 0xff;
        while (isExt(next)) {
            int len = extLen(f, off, next);
            next = f[off] & 0xff;
            off += len;
        }
        return new int[] {off, next};
    }

    private static boolean isExt(int next) {
        return next == Frames.HOPOPTS || next == Frames.ROUTING || next == Frames.DSTOPTS || next == Frames.FRAGMENT;
    }

    private static int extLen(byte[] f, int off, int type) {
        return type == Frames.FRAGMENT ? 8 : ((f[off + 1] & 0xff) + 1) * 8;
    }

    private static int csumAt(int proto) {
        return proto == Frames.TCP ? 16 : proto == Frames.UDP ? 6 : 2;
    }

    private static long l4Sum(byte[] f, int l3, int l4, int proto, boolean v4) {
        int len = f.length - l4;
        long s;
        if (v4 && proto == Frames.ICMP) {
            return sum(f, l4, (ByteBuffer.wrap(f).getShort(l3 + 2) & 0xffff) - (l4 - l3), 0); // no pseudo header
        }
        if (v4) {
            len = (ByteBuffer.wrap(f).getShort(l3 + 2) & 0xffff) - (l4 - l3);
            s = sum(f, l3 + 12, 8, 0);
        } else {
            len = (ByteBuffer.wrap(f).getShort(l3 + 4) & 0xffff) - (l4 - l3 - 40);
            s = sum(f, l3 + 8, 32, 0);
        }
        s += proto + len;
        return sum(f, l4, len, s);
    }

    private static long sum(byte[] f, int off, int len, long s) {
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((f[off + i] & 0xff) << 8) | (f[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            s += (f[off + len - 1] & 0xff) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }
}
