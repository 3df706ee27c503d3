package dev.weir.agent.datapath;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Packets for the policy checks: the first packet of a connection (TCP SYN, UDP, SCTP INIT, ICMP/ICMPv6
 * echo request) in IPv4 or IPv6 in Ethernet. Checksums are left zero: the datapath does not read them.
 * (A trimmed copy of weir-datapath's test {@code Frames}, which is not on this module's class path.)
 */
final class Frames {

    static final int TCP = 6;
    static final int UDP = 17;
    static final int SCTP = 132;
    static final int ICMP = 1;
    static final int ICMPV6 = 58;

    private static final int ETH_P_IP = 0x0800;
    private static final int ETH_P_IPV6 = 0x86dd;
    private static final int SYN = 0x02;

    private Frames() {
    }

    /**
     * The opening packet of a connection from {@code src} to {@code dst}.
     *
     * @param proto TCP, UDP, SCTP, or ICMP (an echo request of the family: ICMP or ICMPv6)
     * @param sport source port; for ICMP the echo id
     * @param dport destination port; ignored for ICMP
     */
    static byte[] opening(String src, String dst, int proto, int sport, int dport) {
        byte[] s = address(src);
        byte[] d = address(dst);
        boolean v6 = s.length == 16;
        byte[] l4 = switch (proto) {
            case TCP -> tcpSyn(sport, dport);
            case UDP -> udp(sport, dport);
            case SCTP -> sctp(sport, dport);
            case ICMP, ICMPV6 -> echoRequest(v6, sport);
            default -> throw new IllegalArgumentException("no frame for protocol " + proto);
        };
        int l4proto = proto == ICMP || proto == ICMPV6 ? (v6 ? ICMPV6 : ICMP) : proto;
        return eth(v6 ? ETH_P_IPV6 : ETH_P_IP, v6 ? ipv6(s, d, l4proto, l4) : ipv4(s, d, l4proto, l4));
    }

    private static byte[] tcpSyn(int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(20);
        b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0);
        b.put((byte) 0x50).put((byte) SYN).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return b.array();
    }

    private static byte[] udp(int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(12);
        b.putShort((short) sport).putShort((short) dport).putShort((short) 12).putShort((short) 0);
        return b.array();
    }

    private static byte[] sctp(int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.putShort((short) sport).putShort((short) dport).putInt(0x1234).putInt(0);
        b.put((byte) 1).put((byte) 0).putShort((short) 4); // an INIT chunk header, for shape
        return b.array();
    }

    private static byte[] echoRequest(boolean v6, int id) {
        return new byte[] {(byte) (v6 ? 128 : 8), 0, 0, 0, (byte) (id >> 8), (byte) id, 0, 1};
    }

    private static byte[] ipv4(byte[] src, byte[] dst, int proto, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(20 + l4.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length));
        b.putShort((short) 0x4242).putShort((short) 0);
        b.put((byte) 64).put((byte) proto).putShort((short) 0).put(src).put(dst).put(l4);
        return b.array();
    }

    private static byte[] ipv6(byte[] src, byte[] dst, int proto, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(40 + l4.length);
        b.putInt(0x60000000).putShort((short) l4.length).put((byte) proto).put((byte) 64);
        b.put(src).put(dst).put(l4);
        return b.array();
    }

    private static byte[] eth(int etherType, byte[] l3) {
        ByteBuffer b = ByteBuffer.allocate(14 + l3.length);
        b.put(new byte[] {2, 0, 0, 0, 0, 2}).put(new byte[] {2, 0, 0, 0, 0, 1});
        b.putShort((short) etherType).put(l3);
        return b.array();
    }

    private static byte[] address(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }
}
