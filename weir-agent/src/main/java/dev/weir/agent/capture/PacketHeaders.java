package dev.weir.agent.capture;

import java.util.Arrays;

import dev.weir.agent.service.IpAddress;

/**
 * What a captured Ethernet frame's headers say: addresses, protocol, ports, TCP flags, and where the headers
 * end (Ethernet with up to two VLAN tags, IPv4 with options or IPv6 with its extension headers, then the TCP
 * header with options, UDP, SCTP's common header or ICMP's first 8 bytes). A frame cut short, or not IP,
 * gives what could be read; {@link #headerLength} never exceeds the bytes given. Immutable.
 *
 * @param family       4, 6, or 0 when not IP
 * @param protocol     the L4 protocol number, 0 when unknown
 * @param sourceIp     text as endpoints list addresses (IPv6 in RFC 5952 form), null when unknown
 * @param sourcePort   TCP/UDP/SCTP ports, 0 otherwise
 * @param tcpFlags     FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20
 * @param headerLength bytes from the frame's start to the end of its last header that was read
 */
public record PacketHeaders(int family, int protocol, String sourceIp, String destinationIp, int sourcePort,
                            int destinationPort, int tcpFlags, int headerLength) {

    private static final int ETH = 14;

    /** Parses a frame's headers; never throws on short or odd frames. */
    public static PacketHeaders parse(byte[] frame) {
        int off = 12;
        if (frame.length < ETH) {
            return new PacketHeaders(0, 0, null, null, 0, 0, 0, frame.length);
        }
        int type = u16(frame, off);
        off += 2;
        for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8) && off + 4 <= frame.length; tags++) {
            type = u16(frame, off + 2);
            off += 4;
        }
        if (type == 0x0800 && off + 20 <= frame.length) {
            int ihl = (frame[off] & 0x0f) * 4;
            boolean later = (u16(frame, off + 6) & 0x1fff) != 0;
            return l4(frame, 4, frame[off + 9] & 0xff, text(frame, off + 12, 4), text(frame, off + 16, 4),
                    off + Math.max(ihl, 20), later);
        }
        if (type == 0x86dd && off + 40 <= frame.length) {
            return ipv6(frame, off);
        }
        return new PacketHeaders(0, 0, null, null, 0, 0, 0, Math.min(off, frame.length));
    }

    private static PacketHeaders ipv6(byte[] frame, int off) {
        String src = text(frame, off + 8, 16);
        String dst = text(frame, off + 24, 16);
        int next = frame[off + 6] & 0xff;
        int at = off + 40;
        boolean later = false;
        for (int i = 0; i < 8 && (next == 0 || next == 43 || next == 60 || next == 44) && at + 8 <= frame.length; i++) {
            int len = next == 44 ? 8 : ((frame[at + 1] & 0xff) + 1) * 8;
            if (next == 44) {
                later = (u16(frame, at + 2) & 0xfff8) != 0;
            }
            next = frame[at] & 0xff;
            at += len;
        }
        return l4(frame, 6, next, src, dst, at, later);
    }

    private static PacketHeaders l4(byte[] f, int family, int proto, String src, String dst, int off, boolean later) {
        int end = Math.min(off, f.length);
        if (later) {
            return new PacketHeaders(family, proto, src, dst, 0, 0, 0, end);
        }
        return switch (proto) {
            case 6 -> off + 20 <= f.length
                    ? new PacketHeaders(family, proto, src, dst, u16(f, off), u16(f, off + 2), f[off + 13] & 0x3f,
                            Math.min(off + Math.max(20, ((f[off + 12] & 0xf0) >> 4) * 4), f.length))
                    : new PacketHeaders(family, proto, src, dst, 0, 0, 0, f.length);
            case 17, 132 -> off + 8 <= f.length
                    ? new PacketHeaders(family, proto, src, dst, u16(f, off), u16(f, off + 2), 0,
                            Math.min(off + (proto == 17 ? 8 : 12), f.length))
                    : new PacketHeaders(family, proto, src, dst, 0, 0, 0, f.length);
            case 1, 58 -> new PacketHeaders(family, proto, src, dst, 0, 0, 0, Math.min(off + 8, f.length));
            default -> new PacketHeaders(family, proto, src, dst, 0, 0, 0, end);
        };
    }

    /** The frame cut after its headers (a copy). */
    public static byte[] headersOnly(byte[] frame) {
        return Arrays.copyOf(frame, parse(frame).headerLength());
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    private static String text(byte[] b, int off, int len) {
        return new IpAddress(Arrays.copyOfRange(b, off, off + len)).toString();
    }
}
