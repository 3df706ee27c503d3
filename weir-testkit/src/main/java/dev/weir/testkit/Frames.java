package dev.weir.testkit;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small packet builder for the datapath tests, inside out: an L4 segment, wrapped in IPv4 (with
 * options, fragmentation) or IPv6 (with extension headers, fragmentation), wrapped in Ethernet with
 * up to any number of VLAN tags. Checksums are left zero: the programs under test do not read them
(tests that check rewritten checksums compute their own). Shared by every module's datapath tests.
 */
public final class Frames {

    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_IPV6 = 0x86dd;
    public static final int ETH_P_ARP = 0x0806;
    public static final int TPID_8021Q = 0x8100;
    public static final int TPID_8021AD = 0x88a8;

    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int SCTP = 132;
    public static final int ICMP = 1;
    public static final int ICMPV6 = 58;
    public static final int HOPOPTS = 0;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int AH = 51;
    public static final int DSTOPTS = 60;

    private Frames() {
    }

    /** An L4 segment: IP protocol number and bytes (header and payload). */
    public record L4(int proto, byte[] bytes) {
    }

    /** An L3 datagram: EtherType and bytes. */
    public record L3(int etherType, byte[] bytes) {
    }

    public static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    public static L4 tcp(int sport, int dport) {
        return tcp(sport, dport, 0);
    }

    public static L4 tcp(int sport, int dport, int payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload);
        b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0);
        b.put((byte) 0x50).put((byte) 0x02).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return new L4(TCP, b.array());
    }

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** A TCP segment with these flags and no payload. */
    public static L4 tcpFlags(int sport, int dport, int flags) {
        return tcpFlags(sport, dport, flags, 0);
    }

    public static L4 tcpFlags(int sport, int dport, int flags, int payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload);
        b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        return new L4(TCP, b.array());
    }

    /** A TCP header with a data offset (in 32-bit words) and only that many bytes, or fewer. */
    public static L4 tcpRaw(int sport, int dport, int doff, int length) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(length, 20));
        b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(0);
        b.put((byte) (doff << 4)).put((byte) SYN);
        return new L4(TCP, Arrays.copyOf(b.array(), length));
    }

    /** ICMP echo request (8) or reply (0) with an identifier. */
    public static L4 icmp4Echo(int type, int id) {
        return new L4(ICMP, new byte[] {(byte) type, 0, 0, 0, (byte) (id >> 8), (byte) id, 0, 1});
    }

    /** ICMPv6 echo request (128) or reply (129) with an identifier. */
    public static L4 icmp6Echo(int type, int id) {
        return new L4(ICMPV6, new byte[] {(byte) type, 0, 0, 0, (byte) (id >> 8), (byte) id, 0, 1});
    }

    public static L4 udp(int sport, int dport) {
        return udp(sport, dport, 4);
    }

    public static L4 udp(int sport, int dport, int payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload)).putShort((short) 0);
        return new L4(UDP, b.array());
    }

    public static L4 sctp(int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(12 + 4);
        b.putShort((short) sport).putShort((short) dport).putInt(0x1234).putInt(0);
        b.put((byte) 1).put((byte) 0).putShort((short) 4); // an INIT chunk header, for shape
        return new L4(SCTP, b.array());
    }

    public static L4 icmp4() {
        return new L4(ICMP, new byte[] {8, 0, 0, 0, 0, 1, 0, 1});
    }

    public static L4 icmp6() {
        return new L4(ICMPV6, new byte[] {(byte) 128, 0, 0, 0, 0, 1, 0, 1});
    }

    /** An ICMPv6 message of a type (135: neighbour solicitation), with a 4-byte body. */
    public static L4 icmp6(int type) {
        return new L4(ICMPV6, new byte[] {(byte) type, 0, 0, 0, 0, 0, 0, 0});
    }

    /** Raw bytes under a protocol number, e.g. the middle of a fragmented TCP segment. */
    public static L4 raw(int proto, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) 0xab);
        return new L4(proto, b);
    }

    public static V4 ipv4(String src, String dst, L4 l4) {
        return new V4(ip(src).getAddress(), ip(dst).getAddress(), l4);
    }

    public static V6 ipv6(String src, String dst, L4 l4) {
        return new V6(ip(src).getAddress(), ip(dst).getAddress(), l4);
    }

    /** IPv4 datagram builder. */
    public static final class V4 {
        private final byte[] src;
        private final byte[] dst;
        private final L4 l4;
        private byte[] options = new byte[0];
        private int id = 0x4242;
        private int fragOffset8;
        private boolean more;

        V4(byte[] src, byte[] dst, L4 l4) {
            this.src = src;
            this.dst = dst;
            this.l4 = l4;
        }

        /** Options (padded with zero, End of Option List, to a multiple of 4). */
        public V4 options(byte[] opts) {
            this.options = Arrays.copyOf(opts, (opts.length + 3) / 4 * 4);
            return this;
        }

        /** Fragment: identification, offset in 8-byte units, more-fragments flag. */
        public V4 fragment(int id, int offset8, boolean more) {
            this.id = id;
            this.fragOffset8 = offset8;
            this.more = more;
            return this;
        }

        public L3 build() {
            int hl = 20 + options.length;
            ByteBuffer b = ByteBuffer.allocate(hl + l4.bytes().length);
            b.put((byte) (0x40 | hl / 4)).put((byte) 0).putShort((short) (hl + l4.bytes().length));
            b.putShort((short) id).putShort((short) ((more ? 0x2000 : 0) | fragOffset8));
            b.put((byte) 64).put((byte) l4.proto()).putShort((short) 0).put(src).put(dst).put(options);
            b.put(l4.bytes());
            return new L3(ETH_P_IP, b.array());
        }

        public byte[] eth() {
            return Frames.eth(build());
        }
    }

    /** IPv6 datagram builder with an extension header chain. */
    public static final class V6 {
        private final byte[] src;
        private final byte[] dst;
        private final L4 l4;
        private final List<byte[]> ext = new ArrayList<>();
        private final List<Integer> extTypes = new ArrayList<>();

        V6(byte[] src, byte[] dst, L4 l4) {
            this.src = src;
            this.dst = dst;
            this.l4 = l4;
        }

        /** An extension header of that type and total length (hop-by-hop, routing, dstopts: 8n; AH: 8n too). */
        public V6 ext(int type, int length) {
            byte[] h = new byte[length];
            h[1] = (byte) (type == AH ? length / 4 - 2 : length / 8 - 1);
            if (type == HOPOPTS || type == DSTOPTS) {
                h[2] = 1; // PadN covering the rest
                h[3] = (byte) (length - 4);
            }
            ext.add(h);
            extTypes.add(type);
            return this;
        }

        /** A fragment header: identification, offset in 8-byte units, M flag. */
        public V6 fragment(int id, int offset8, boolean more) {
            ByteBuffer h = ByteBuffer.allocate(8);
            h.put((byte) 0).put((byte) 0).putShort((short) (offset8 << 3 | (more ? 1 : 0))).putInt(id);
            ext.add(h.array());
            extTypes.add(FRAGMENT);
            return this;
        }

        public L3 build() {
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            for (int i = 0; i < ext.size(); i++) {
                byte[] h = ext.get(i).clone();
                h[0] = (byte) (i + 1 < ext.size() ? extTypes.get(i + 1) : l4.proto());
                payload.writeBytes(h);
            }
            payload.writeBytes(l4.bytes());
            byte[] p = payload.toByteArray();
            ByteBuffer b = ByteBuffer.allocate(40 + p.length);
            b.putInt(0x60000000).putShort((short) p.length);
            b.put((byte) (ext.isEmpty() ? l4.proto() : extTypes.get(0))).put((byte) 64);
            b.put(src).put(dst).put(p);
            return new L3(ETH_P_IPV6, b.array());
        }

        public byte[] eth() {
            return Frames.eth(build());
        }
    }

    /** Ethernet frame around a datagram, with VLAN tags given as (TPID, VID) pairs, outermost first. */
    public static byte[] eth(L3 l3, int... tags) {
        ByteBuffer b = ByteBuffer.allocate(14 + tags.length * 2 + l3.bytes().length);
        b.put(new byte[] {2, 0, 0, 0, 0, 2}).put(new byte[] {2, 0, 0, 0, 0, 1});
        for (int i = 0; i < tags.length; i += 2) {
            b.putShort((short) tags[i]).putShort((short) tags[i + 1]);
        }
        b.putShort((short) l3.etherType()).put(l3.bytes());
        return b.array();
    }

    public static byte[] vlan(L3 l3, int vid) {
        return eth(l3, TPID_8021Q, vid);
    }

    public static byte[] qinq(L3 l3, int outer, int inner) {
        return eth(l3, TPID_8021AD, outer, TPID_8021Q, inner);
    }

    /**
     * The opening packet of a connection from {@code src} to {@code dst}, in Ethernet.
     *
     * @param proto TCP (a SYN), UDP, SCTP, or ICMP/ICMPV6 (an echo request of the addresses' family)
     * @param sport source port; for ICMP the echo id
     * @param dport destination port; ignored for ICMP
     */
    public static byte[] opening(String src, String dst, int proto, int sport, int dport) {
        boolean v6 = ip(src).getAddress().length == 16;
        L4 l4 = switch (proto) {
            case TCP -> tcpFlags(sport, dport, SYN);
            case UDP -> udp(sport, dport, 4);
            case SCTP -> sctp(sport, dport);
            case ICMP, ICMPV6 -> v6 ? icmp6Echo(128, sport) : icmp4Echo(8, sport);
            default -> throw new IllegalArgumentException("no opening packet for protocol " + proto);
        };
        return v6 ? ipv6(src, dst, l4).eth() : ipv4(src, dst, l4).eth();
    }

    public static byte[] arp() {
        byte[] body = new byte[28];
        body[1] = 1; // htype Ethernet
        body[2] = 8; // ptype IPv4
        body[4] = 6;
        body[5] = 4;
        body[7] = 1; // request
        return eth(new L3(ETH_P_ARP, body));
    }
}
