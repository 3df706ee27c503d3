package dev.weir.ebpf.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The netlink encoding and decoding, byte for byte, without a kernel (x86-64/arm64: little-endian). */
class NetlinkMessageTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void headerFixedPartAndPaddedAttributes() {
        byte[] b = new NetlinkMessage(RtMessages.RTM_GETLINK, RtMessages.NLM_F_REQUEST)
                .u8(0).u8(0).u16(0).u32(7).u32(0).u32(0)
                .attrString(RtMessages.IFLA_IFNAME, "eth0")
                .encode(42);
        assertThat(HEX.formatHex(b)).isEqualTo(
                "2c000000" + "1200" + "0100" + "2a000000" + "00000000"   // nlmsghdr: len 44, RTM_GETLINK, REQUEST, seq 42
                + "00000000" + "07000000" + "00000000" + "00000000"    // ifinfomsg: index 7
                + "0900" + "0300" + "6574683000" + "000000");          // IFLA_IFNAME "eth0\0", padded to 12
    }

    @Test
    void nestedAttributesCarryTheirWholeLength() {
        byte[] b = new NetlinkMessage(1, 0).begin(18).attrString(1, "veth").begin(2).attrU32(9, 5).end().end().encode(1);
        ByteBuffer p = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        assertThat(p.getInt(0)).isEqualTo(b.length).isEqualTo(16 + 4 + 12 + 4 + 8);
        assertThat(p.getShort(16)).isEqualTo((short) (4 + 12 + 4 + 8));   // the outer nest
        assertThat(p.getShort(16 + 4 + 12)).isEqualTo((short) (4 + 8));   // the inner one
        assertThatThrownBy(() -> new NetlinkMessage(1, 0).begin(1).encode(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new NetlinkMessage(1, 0).end()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void vethPeerIsNestedWithItsOwnIfinfomsgAndNamespace() {
        byte[] mac = HEX.parseHex("020000000001");
        byte[] peerMac = HEX.parseHex("020000000002");
        NetlinkMessage m = RtMessages.newVeth(new Veth("lxc-x-a", mac, "eth0", peerMac, 1450), 33, true);
        NetlinkReply r = NetlinkReply.parse(ByteBuffer.wrap(m.encode(1))).getFirst();
        assertThat(r.type()).isEqualTo(RtMessages.RTM_NEWLINK);
        assertThat(r.flags()).isEqualTo(RtMessages.NLM_F_REQUEST | RtMessages.NLM_F_ACK | RtMessages.NLM_F_CREATE | RtMessages.NLM_F_EXCL);
        assertThat(r.payload().getInt(8)).as("ifi_flags").isEqualTo(RtMessages.IFF_UP);
        assertThat(r.payload().getInt(12)).as("ifi_change").isEqualTo(RtMessages.IFF_UP);
        Map<Integer, ByteBuffer> a = r.attributes(RtMessages.IFINFOMSG);
        assertThat(NetlinkReply.string(a.get(RtMessages.IFLA_IFNAME))).isEqualTo("lxc-x-a");
        assertThat(bytes(a.get(RtMessages.IFLA_ADDRESS))).isEqualTo(mac);
        assertThat(a.get(RtMessages.IFLA_MTU).getInt(0)).isEqualTo(1450);
        Map<Integer, ByteBuffer> info = NetlinkReply.attributes(a.get(RtMessages.IFLA_LINKINFO), 0);
        assertThat(NetlinkReply.string(info.get(RtMessages.IFLA_INFO_KIND))).isEqualTo("veth");
        ByteBuffer peer = NetlinkReply.attributes(info.get(RtMessages.IFLA_INFO_DATA), 0).get(RtMessages.VETH_INFO_PEER);
        assertThat(peer.getInt(8)).as("the peer stays down").isZero();
        Map<Integer, ByteBuffer> pa = NetlinkReply.attributes(peer, RtMessages.IFINFOMSG);
        assertThat(NetlinkReply.string(pa.get(RtMessages.IFLA_IFNAME))).isEqualTo("eth0");
        assertThat(bytes(pa.get(RtMessages.IFLA_ADDRESS))).isEqualTo(peerMac);
        assertThat(pa.get(RtMessages.IFLA_MTU).getInt(0)).isEqualTo(1450);
        assertThat(pa.get(RtMessages.IFLA_NET_NS_FD).getInt(0)).isEqualTo(33);
    }

    @Test
    void addressesAsIproute2SendsThem() {
        byte[] b = RtMessages.addAddress(5, Route.address("169.254.1.1"), 32, false).encode(3);
        assertThat(HEX.formatHex(b)).isEqualTo(
                "28000000" + "1400" + "0506" + "03000000" + "00000000"   // RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE
                + "02" + "20" + "00" + "00" + "05000000"                 // AF_INET /32, no flags, scope universe, index 5
                + "0800" + "0200" + "a9fe0101"                           // IFA_LOCAL
                + "0800" + "0100" + "a9fe0101");                         // IFA_ADDRESS
        NetlinkReply v6 = NetlinkReply.parse(ByteBuffer.wrap(
                RtMessages.addAddress(5, Route.address("fe80::1"), 64, true).encode(4))).getFirst();
        assertThat(v6.payload().get(0)).isEqualTo((byte) RtMessages.AF_INET6);
        assertThat(v6.payload().get(1)).isEqualTo((byte) 64);
        assertThat(v6.payload().get(2)).as("IFA_F_NODAD").isEqualTo((byte) RtMessages.IFA_F_NODAD);
        assertThat(bytes(v6.attributes(RtMessages.IFADDRMSG).get(RtMessages.IFA_LOCAL)))
                .isEqualTo(Route.address("fe80::1").getAddress());
    }

    @Test
    void routesWithAndWithoutGateway() {
        NetlinkReply direct = reparse(RtMessages.route(
                Route.direct(Route.address("10.244.1.10"), 32, 9).from(Route.address("192.168.100.1")).replacing()));
        assertThat(direct.flags()).isEqualTo(RtMessages.NLM_F_REQUEST | RtMessages.NLM_F_ACK | RtMessages.NLM_F_CREATE
                | RtMessages.NLM_F_REPLACE);
        ByteBuffer rt = direct.payload();
        assertThat(List.of(rt.get(0), rt.get(1), rt.get(4), rt.get(5), rt.get(6), rt.get(7))).containsExactly(
                (byte) RtMessages.AF_INET, (byte) 32, (byte) RtMessages.RT_TABLE_MAIN, (byte) RtMessages.RTPROT_BOOT,
                (byte) RtMessages.RT_SCOPE_LINK, (byte) RtMessages.RTN_UNICAST);
        Map<Integer, ByteBuffer> a = direct.attributes(RtMessages.RTMSG);
        assertThat(bytes(a.get(RtMessages.RTA_DST))).isEqualTo(new byte[] {10, (byte) 244, 1, 10});
        assertThat(a.get(RtMessages.RTA_OIF).getInt(0)).isEqualTo(9);
        assertThat(bytes(a.get(RtMessages.RTA_PREFSRC))).isEqualTo(new byte[] {(byte) 192, (byte) 168, 100, 1});
        assertThat(a).doesNotContainKey(RtMessages.RTA_GATEWAY);

        NetlinkReply dflt = reparse(RtMessages.route(Route.defaultVia(Route.address("fe80::1"), 3)));
        assertThat(dflt.flags() & RtMessages.NLM_F_EXCL).isNotZero();
        assertThat(dflt.payload().get(0)).isEqualTo((byte) RtMessages.AF_INET6);
        assertThat(dflt.payload().get(1)).as("dst_len").isZero();
        assertThat(dflt.payload().get(6)).as("scope").isEqualTo((byte) RtMessages.RT_SCOPE_UNIVERSE);
        Map<Integer, ByteBuffer> d = dflt.attributes(RtMessages.RTMSG);
        assertThat(d).doesNotContainKey(RtMessages.RTA_DST);
        assertThat(bytes(d.get(RtMessages.RTA_GATEWAY))).isEqualTo(Route.address("fe80::1").getAddress());
        assertThat(d.get(RtMessages.RTA_OIF).getInt(0)).isEqualTo(3);
    }

    @Test
    void badValuesAreRefusedBeforeTheKernelSeesThem() {
        assertThatThrownBy(() -> new Veth("a-name-longer-than-15", null, "eth0", null, null))
                .hasMessageContaining("invalid interface name 'a-name-longer-than-15'");
        assertThatThrownBy(() -> new Veth("lxc0", new byte[5], "eth0", null, null)).hasMessageContaining("MAC address of lxc0");
        assertThatThrownBy(() -> Route.direct(Route.address("10.0.0.1"), 33, 1)).hasMessageContaining("/33");
        assertThatThrownBy(() -> Route.address("pod-a")).hasMessageContaining("not an address literal: 'pod-a'");
        assertThatThrownBy(() -> new Route(Route.address("10.0.0.0"), 8, 1, Route.address("fe80::1"), null, false))
                .hasMessageContaining("not of the family");
    }

    @Test
    void anAckAnErrorWithTheKernelsWordsAndADone() {
        ByteBuffer in = ByteBuffer.allocate(200).order(ByteOrder.nativeOrder());
        // an ACK: nlmsgerr { error 0, the request's header } (capped)
        in.putInt(16 + 4 + 16).putShort((short) NetlinkReply.NLMSG_ERROR).putShort((short) NetlinkReply.NLM_F_CAPPED).putInt(7).putInt(99);
        in.putInt(0).put(new byte[16]);
        // an error with an extended-ACK message "File exists"
        byte[] text = "File exists\0".getBytes();
        in.putInt(16 + 4 + 16 + 4 + text.length).putShort((short) NetlinkReply.NLMSG_ERROR)
                .putShort((short) (NetlinkReply.NLM_F_CAPPED | NetlinkReply.NLM_F_ACK_TLVS)).putInt(8).putInt(99);
        in.putInt(-17).put(new byte[16]).putShort((short) (4 + text.length)).putShort((short) 1).put(text);
        in.putInt(20).putShort((short) NetlinkReply.NLMSG_DONE).putShort((short) 2).putInt(9).putInt(99).putInt(0);
        List<NetlinkReply> replies = NetlinkReply.parse(in.flip());
        assertThat(replies).hasSize(3);
        assertThat(replies.get(0).isError()).isTrue();
        assertThat(replies.get(0).errno()).isZero();
        assertThat(replies.get(0).extackMessage()).isEmpty();
        assertThat(replies.get(1).seq()).isEqualTo(8);
        assertThat(replies.get(1).errno()).isEqualTo(17);
        assertThat(replies.get(1).extackMessage()).isEqualTo("File exists");
        assertThat(replies.get(2).isDone()).isTrue();
    }

    @Test
    void aTruncatedReadIsRefused() {
        ByteBuffer in = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        in.putInt(64).putShort((short) 2).putShort((short) 0).putInt(1).putInt(0).putInt(0);
        assertThatThrownBy(() -> NetlinkReply.parse(in.flip())).hasMessageContaining("netlink message of 64 bytes");
    }

    private static NetlinkReply reparse(NetlinkMessage m) {
        return NetlinkReply.parse(ByteBuffer.wrap(m.encode(1))).getFirst();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.limit()];
        b.get(0, out);
        return out;
    }
}
