package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.NodePortTest.*;
import static dev.weir.testkit.Frames.ACK;
import static dev.weir.testkit.Frames.DSTOPTS;
import static dev.weir.testkit.Frames.HOPOPTS;
import static dev.weir.testkit.Frames.ICMP;
import static dev.weir.testkit.Frames.ICMPV6;
import static dev.weir.testkit.Frames.SYN;
import static dev.weir.testkit.Frames.TCP;
import static dev.weir.testkit.Frames.UDP;
import static dev.weir.testkit.Frames.ipv4;
import static dev.weir.testkit.Frames.ipv6;
import static dev.weir.testkit.Frames.tcpFlags;
import static dev.weir.testkit.Frames.udp;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.Mem;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.datapath.nodeport.NpCfg;
import dev.weir.datapath.nodeport.NpCtKey;
import dev.weir.datapath.nodeport.NpCtVal;
import dev.weir.ebpf.TestRun;
import dev.weir.testkit.Frames.L4;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Direct server return and ICMP errors on the underlay through BPF_PROG_TEST_RUN (docs/service-datapath.md, "Direct
 * server return", "ICMP errors from outside"). The same loaded objects play the node the client reaches (np_cfg in
 * dsr mode) and the backend's node (a frame with the option on the underlay); {@link NodePortTest}'s addresses.
 */
class NodePortDsrTest {

    static final int OPT_TYPE = 0x9e;
    static final int OPT6_TYPE = 0x1e;
    static final String ROUTER = "192.168.100.254";
    static final String ROUTER6 = "fd00:192:168:100::254";
    static final String NODE2 = "192.168.100.2";

    NodePortDatapath dp;

    @BeforeEach
    void load() {
        Requirements.rootWithBpffs();
        dp = new NodePortDatapath();
        dp.npCfg.put(0, NpCfg.of(ip(NODE4), ip(NODE6)).withDsr(true));
    }

    @AfterEach
    void close() {
        if (dp != null) {
            dp.close();
            assertThat(dp.pins).doesNotExist();
        }
    }

    void service(int family, int proto, int flags) {
        dp.lbBackend.put(BE_B, LbTc.backend(ip(b(family)), BPORT, proto, LbTc.BE_ACTIVE));
        dp.lbSvc.put(LbTc.svcKey(ip(node(family)), NODEPORT, proto, LbTc.SCOPE_ANY),
                LbTc.svcVal(SVC, REVNAT, 1, flags, 0, 0, 0));
        dp.lbRevnat.put(REVNAT, LbTc.frontend(ip(node(family)), NODEPORT, proto));
        dp.lbSlot.put(LbTc.slotKey(SVC, 1, 0), EndpointServiceTest.u32(BE_B));
    }

    /** The IPv4 header length of a frame. */
    static int ihl(byte[] f) {
        return (f[14] & 0x0f) * 4;
    }

    /** Source, destination and ports of an IPv4 frame with options. */
    static EndpointServiceTest.Tuple tuple4(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        int l4 = 14 + ihl(f);
        return new EndpointServiceTest.Tuple(Mem.address(Arrays.copyOfRange(f, 26, 30)), b.getShort(l4) & 0xffff,
                Mem.address(Arrays.copyOfRange(f, 30, 34)), b.getShort(l4 + 2) & 0xffff);
    }

    @ParameterizedTest(name = "proto {0}")
    @ValueSource(ints = {TCP, UDP})
    void theClientKeepsItsAddressAndTheFrontendTravelsInAnOption(int proto) {
        service(4, proto, LbMaps.F_NODEPORT);
        byte[] in = NodePortTest.frame(4, EXT4, NODE4, NodePortTest.l4(proto, CPORT, NODEPORT, SYN));
        TestRun.Result r = dp.underlay(in);
        byte[] out = r.dataOut();
        assertThat(out).hasSize(in.length + 8);
        assertThat(ihl(out)).isEqualTo(28);
        assertThat(ByteBuffer.wrap(out).getShort(16) & 0xffff).as("total length").isEqualTo(in.length - 14 + 8);
        ByteBuffer opt = ByteBuffer.wrap(out, 34, 8);
        assertThat(opt.get() & 0xff).isEqualTo(OPT_TYPE);
        assertThat(opt.get()).isEqualTo((byte) 8);
        assertThat(opt.getShort() & 0xffff).isEqualTo(NODEPORT);
        assertThat(Arrays.copyOfRange(out, 38, 42)).isEqualTo(ip(NODE4).getAddress());
        assertThat(tuple4(out)).isEqualTo(tuple(EXT4, CPORT, b(4), BPORT));
        assertThat(Checksums.check(out)).as("checksums of the packet out").isEmpty();
        NpCtVal fwd = dp.npCt.lookup(NpCtKey.of(ip(EXT4), CPORT, ip(NODE4), NODEPORT, proto, NodePortMaps.DIR_FWD))
                .orElseThrow();
        assertThat(fwd.dsr()).isTrue();
        assertThat(fwd.snat()).isFalse();

        // the connection's next packet: TCP needs the option only on the SYN, every UDP datagram carries it
        out = dp.underlay(NodePortTest.frame(4, EXT4, NODE4, NodePortTest.l4(proto, CPORT, NODEPORT, ACK))).dataOut();
        assertThat(ihl(out)).isEqualTo(proto == TCP ? 20 : 28);
        assertThat(tuple4(out)).isEqualTo(tuple(EXT4, CPORT, b(4), BPORT));
        assertThat(Checksums.check(out)).isEmpty();
    }

    @ParameterizedTest(name = "proto {0}")
    @ValueSource(ints = {TCP, UDP})
    void theBackendsNodeAnswersTheClientDirectlyAsTheFrontend(int proto) {
        service(4, proto, LbMaps.F_NODEPORT);
        byte[] carried = dp.underlay(NodePortTest.frame(4, EXT4, NODE4, NodePortTest.l4(proto, CPORT, NODEPORT, SYN)))
                .dataOut();
        // now the backend's node: nothing of the first node's entries, only the option
        dp.npCt.keys().forEach(dp.npCt::delete);
        TestRun.Result r = dp.underlay(toHost(carried));
        assertThat(r.retval()).as("on to the stack, untouched").isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(toHost(carried));
        NpCtVal rev = dp.npCt.lookup(NpCtKey.of(ip(b(4)), BPORT, ip(EXT4), CPORT, proto, NodePortMaps.DIR_REV)).orElseThrow();
        assertThat(rev.dsr()).isTrue();
        assertThat(Mem.address(rev.natSaddr())).isEqualTo(ip(NODE4));
        assertThat(rev.natSport()).isEqualTo(NODEPORT);
        assertThat(rev.svcId()).as("the frontend is known here too").isEqualTo(SVC);

        // B, which saw the client's own address, answers it: weir_from_ep makes the frontend the source
        assertThat(dp.to(EndpointTestBase.B, carried).retval()).isEqualTo(EndpointDatapath.TC_ACT_OK);
        TestRun.Result reply = dp.from(EndpointTestBase.B,
                NodePortTest.frame(4, b(4), EXT4, NodePortTest.l4(proto, BPORT, CPORT, SYN | ACK)));
        assertTranslated(reply, tuple(NODE4, NODEPORT, EXT4, CPORT));
    }

    @Test
    void aWrongOptionLengthDrops() {
        byte[] f = toHost(Checksums.fill(ipv4(EXT4, b(4), udp(CPORT, BPORT, 11))
                .options(new byte[] {(byte) OPT_TYPE, 4, 0x75, 0x30}).eth(), false));
        assertThat(dp.underlay(f).retval()).isEqualTo(EndpointDatapath.TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_DSR_OPT)).isEqualTo(1);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    /** Source, destination and ports of an IPv6 frame with extension headers. */
    static EndpointServiceTest.Tuple tuple6(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        int l4 = Checksums.l4Offset(f);
        return new EndpointServiceTest.Tuple(Mem.address(Arrays.copyOfRange(f, 22, 38)), b.getShort(l4) & 0xffff,
                Mem.address(Arrays.copyOfRange(f, 38, 54)), b.getShort(l4 + 2) & 0xffff);
    }

    @ParameterizedTest(name = "proto {0}")
    @ValueSource(ints = {TCP, UDP})
    void ipv6TheFrontendTravelsInADestinationOptionsHeader(int proto) {
        service(6, proto, LbMaps.F_NODEPORT);
        byte[] in = NodePortTest.frame(6, EXT6, NODE6, NodePortTest.l4(proto, CPORT, NODEPORT, SYN));
        byte[] out = dp.underlay(in).dataOut();
        assertThat(out).hasSize(in.length + 24);
        ByteBuffer b = ByteBuffer.wrap(out);
        assertThat(b.getShort(18) & 0xffff).as("payload length").isEqualTo(in.length - 54 + 24);
        assertThat(out[20]).as("next header: destination options").isEqualTo((byte) DSTOPTS);
        assertThat(out[54]).as("then the packet's protocol").isEqualTo((byte) proto);
        assertThat(out[55]).as("24 bytes").isEqualTo((byte) 2);
        assertThat(out[56] & 0xff).isEqualTo(OPT6_TYPE);
        assertThat(out[57]).isEqualTo((byte) 20);
        assertThat(Arrays.copyOfRange(out, 58, 74)).isEqualTo(ip(NODE6).getAddress());
        assertThat(b.getShort(74) & 0xffff).isEqualTo(NODEPORT);
        assertThat(b.getShort(76)).isZero();
        assertThat(tuple6(out)).isEqualTo(tuple(EXT6, CPORT, b(6), BPORT));
        assertThat(Checksums.check(out)).as("checksums of the packet out").isEmpty();
        NpCtVal fwd = dp.npCt.lookup(NpCtKey.of(ip(EXT6), CPORT, ip(NODE6), NODEPORT, proto, NodePortMaps.DIR_FWD))
                .orElseThrow();
        assertThat(fwd.dsr()).isTrue();

        out = dp.underlay(NodePortTest.frame(6, EXT6, NODE6, NodePortTest.l4(proto, CPORT, NODEPORT, ACK))).dataOut();
        assertThat(out[20]).isEqualTo((byte) (proto == TCP ? TCP : DSTOPTS));
        assertThat(tuple6(out)).isEqualTo(tuple(EXT6, CPORT, b(6), BPORT));
        assertThat(Checksums.check(out)).isEmpty();
    }

    @ParameterizedTest(name = "proto {0}")
    @ValueSource(ints = {TCP, UDP})
    void ipv6TheBackendsNodeAnswersTheClientDirectlyAsTheFrontend(int proto) {
        service(6, proto, LbMaps.F_NODEPORT);
        byte[] carried = dp.underlay(NodePortTest.frame(6, EXT6, NODE6, NodePortTest.l4(proto, CPORT, NODEPORT, SYN)))
                .dataOut();
        dp.npCt.keys().forEach(dp.npCt::delete);
        TestRun.Result r = dp.underlay(toHost(carried));
        assertThat(r.retval()).as("on to the stack, the header left in place").isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(toHost(carried));
        NpCtVal rev = dp.npCt.lookup(NpCtKey.of(ip(b(6)), BPORT, ip(EXT6), CPORT, proto, NodePortMaps.DIR_REV)).orElseThrow();
        assertThat(rev.dsr()).isTrue();
        assertThat(Mem.address(rev.natSaddr())).isEqualTo(ip(NODE6));
        assertThat(rev.natSport()).isEqualTo(NODEPORT);
        assertThat(rev.svcId()).isEqualTo(SVC);

        assertThat(dp.to(EndpointTestBase.B, carried).retval()).as("the pod's ingress takes the header")
                .isEqualTo(EndpointDatapath.TC_ACT_OK);
        TestRun.Result reply = dp.from(EndpointTestBase.B,
                NodePortTest.frame(6, b(6), EXT6, NodePortTest.l4(proto, BPORT, CPORT, SYN | ACK)));
        assertTranslated(reply, tuple(NODE6, NODEPORT, EXT6, CPORT));
    }

    @Test
    void ipv6AWrongOptionLengthDrops() {
        service(6, UDP, LbMaps.F_NODEPORT);
        byte[] carried = dp.underlay(NodePortTest.frame(6, EXT6, NODE6, NodePortTest.l4(UDP, CPORT, NODEPORT, 0)))
                .dataOut();
        dp.npCt.keys().forEach(dp.npCt::delete);
        carried[57] = 18;
        assertThat(dp.underlay(toHost(carried)).retval()).isEqualTo(EndpointDatapath.TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_DSR_OPT)).isEqualTo(1);
        assertThat(dp.npCt.keys()).isEmpty();
        // a destination options header that is not ours passes as before
        byte[] other = toHost(Checksums.fill(ipv6(EXT6, b(6), udp(CPORT, BPORT, 11)).ext(DSTOPTS, 24).eth(), false));
        assertThat(dp.underlay(other).retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    @Test
    void ipv6ExtensionHeadersOfTheClientsOwn() {
        service(6, UDP, LbMaps.F_NODEPORT);
        // a first packet with a header of its own: SNATed
        byte[] f = toHost(Checksums.fill(ipv6(EXT6, NODE6, udp(CPORT, NODEPORT, 11)).ext(DSTOPTS, 8).eth(), false));
        byte[] out = dp.underlay(f).dataOut();
        assertThat(tuple6(out)).isEqualTo(tuple(NODE6, CPORT, b(6), BPORT));
        assertThat(out).hasSize(f.length);
        // a DSR connection's datagram with a hop-by-hop header: the option cannot go before it
        dp.npCt.keys().forEach(dp.npCt::delete);
        dp.underlay(NodePortTest.frame(6, EXT6, NODE6, NodePortTest.l4(UDP, CPORT + 1, NODEPORT, 0)));
        f = toHost(Checksums.fill(ipv6(EXT6, NODE6, udp(CPORT + 1, NODEPORT, 11)).ext(HOPOPTS, 8).eth(), false));
        assertThat(dp.underlay(f).retval()).isEqualTo(EndpointDatapath.TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_DSR_HOP_BY_HOP)).isEqualTo(1);
        // one with a destination options header of its own: ours goes before it
        f = toHost(Checksums.fill(ipv6(EXT6, NODE6, udp(CPORT + 1, NODEPORT, 11)).ext(DSTOPTS, 8).eth(), false));
        out = dp.underlay(f).dataOut();
        assertThat(out).hasSize(f.length + 24);
        assertThat(out[56] & 0xff).isEqualTo(OPT6_TYPE);
        assertThat(out[54]).as("then the client's own").isEqualTo((byte) DSTOPTS);
        assertThat(tuple6(out)).isEqualTo(tuple(EXT6, CPORT + 1, b(6), BPORT));
        assertThat(Checksums.check(out)).isEmpty();
    }

    @Test
    void aClientsOwnIpv4OptionsAreSnatedInDsrMode() {
        service(4, TCP, LbMaps.F_NODEPORT);
        byte[] f = toHost(Checksums.fill(ipv4(EXT4, NODE4, tcpFlags(CPORT, NODEPORT, SYN, 10))
                .options(new byte[] {1, 1, 1, 1}).eth(), false));
        byte[] out = dp.underlay(f).dataOut();
        assertThat(ihl(out)).isEqualTo(24);
        assertThat(tuple4(out)).isEqualTo(tuple(NODE4, CPORT, b(4), BPORT));
    }

    @Test
    void externalTrafficPolicyLocalIsUnaffected() {
        service(4, UDP, LbMaps.F_NODEPORT | LbMaps.F_EXT_LOCAL);
        byte[] out = dp.underlay(NodePortTest.frame(4, EXT4, NODE4, NodePortTest.l4(UDP, CPORT, NODEPORT, 0))).dataOut();
        assertThat(ihl(out)).isEqualTo(20);
        assertThat(tuple4(out)).isEqualTo(tuple(EXT4, CPORT, b(4), BPORT));
    }

    /**
     * SNAT mode: a node on the backend's path cannot forward the SNATed packet (fragmentation needed) and tells the
     * node it came from; the error goes on to the client, about the packet as the client sent it.
     */
    @Test
    void fragmentationNeededOnTheBackendsPathReachesTheClient() {
        dp.npCfg.put(0, NpCfg.of(ip(NODE4), ip(NODE6)));
        service(4, TCP, LbMaps.F_NODEPORT);
        byte[] snated = dp.underlay(NodePortTest.frame(4, EXT4, NODE4, NodePortTest.l4(TCP, CPORT, NODEPORT, SYN)))
                .dataOut();
        byte[] err = toHost(Checksums.fill(ipv4(NODE2, NODE4, fragNeeded(snated, 1400)).eth(), false));
        TestRun.Result r = dp.underlay(err);
        assertThat(r.retval()).isIn(EndpointDatapath.TC_ACT_OK, TC_ACT_REDIRECT);
        byte[] out = r.dataOut();
        assertThat(Checksums.check(out)).as("checksums").isEmpty();
        assertThat(Arrays.copyOfRange(out, 26, 30)).as("from the node that said so").isEqualTo(ip(NODE2).getAddress());
        assertThat(Arrays.copyOfRange(out, 30, 34)).as("to the client").isEqualTo(ip(EXT4).getAddress());
        // the quote: the client's packet to the frontend, its header checksum right
        int q = 14 + 20 + 8;
        assertThat(Arrays.copyOfRange(out, q + 12, q + 16)).isEqualTo(ip(EXT4).getAddress());
        assertThat(Arrays.copyOfRange(out, q + 16, q + 20)).isEqualTo(ip(NODE4).getAddress());
        assertThat(ByteBuffer.wrap(out).getShort(q + 20) & 0xffff).isEqualTo(CPORT);
        assertThat(ByteBuffer.wrap(out).getShort(q + 22) & 0xffff).isEqualTo(NODEPORT);
        assertThat(ipSum(out, q)).as("quoted header checksum").isEqualTo(0xffff);
        assertThat(ByteBuffer.wrap(out).getShort(14 + 20 + 6) & 0xffff).as("the MTU stays").isEqualTo(1400);
        assertThat(dp.npPackets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);
    }

    @Test
    void aBackendsPortUnreachableComesFromTheFrontend() {
        dp.npCfg.put(0, NpCfg.of(ip(NODE4), ip(NODE6)));
        service(4, UDP, LbMaps.F_NODEPORT);
        byte[] snated = dp.underlay(NodePortTest.frame(4, EXT4, NODE4, NodePortTest.l4(UDP, CPORT, NODEPORT, 0)))
                .dataOut();
        byte[] err = toHost(Checksums.fill(ipv4(b(4), NODE4, unreachable(snated, 3, 0)).eth(), false));
        byte[] out = dp.underlay(err).dataOut();
        assertThat(Checksums.check(out)).isEmpty();
        assertThat(Arrays.copyOfRange(out, 26, 30)).as("from the frontend").isEqualTo(ip(NODE4).getAddress());
        assertThat(Arrays.copyOfRange(out, 30, 34)).isEqualTo(ip(EXT4).getAddress());
    }

    @Test
    void anErrorAboutNoTranslatedConnectionPassesUntouched() {
        byte[] quoted = NodePortTest.frame(4, NODE4, b(4), NodePortTest.l4(TCP, 45000, BPORT, SYN));
        byte[] err = toHost(Checksums.fill(ipv4(NODE2, NODE4, fragNeeded(quoted, 1400)).eth(), false));
        TestRun.Result r = dp.underlay(err);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(err);
    }

    /**
     * DSR: node2 sent the reply as the frontend, so a router on its way to the client tells the frontend's node
     * (fragmentation needed / packet too big); the error goes on to the backend, about the reply as it left the backend.
     */
    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void dsrAnErrorAboutAReplyReachesTheBackend(int family) {
        service(family, TCP, LbMaps.F_NODEPORT);
        dp.underlay(NodePortTest.frame(family, ext(family), node(family), NodePortTest.l4(TCP, CPORT, NODEPORT, SYN)));
        byte[] reply = NodePortTest.frame(family, node(family), ext(family),
                NodePortTest.l4(TCP, NODEPORT, CPORT, SYN | ACK));
        String router = family == 4 ? ROUTER : ROUTER6;
        byte[] err = toHost(Checksums.fill(family == 4 ? ipv4(router, NODE4, fragNeeded(reply, 1400)).eth()
                : ipv6(router, NODE6, tooBig6(reply, 1400)).eth(), false));
        TestRun.Result r = dp.underlay(err);
        assertThat(r.retval()).isIn(EndpointDatapath.TC_ACT_OK, TC_ACT_REDIRECT);
        byte[] out = r.dataOut();
        assertThat(Checksums.check(out)).as("checksums").isEmpty();
        int l3 = 14;
        int a = family == 4 ? 4 : 16;
        int src = family == 4 ? 12 : 8;
        assertThat(Arrays.copyOfRange(out, l3 + src, l3 + src + a)).as("from the router")
                .isEqualTo(ip(router).getAddress());
        assertThat(Arrays.copyOfRange(out, l3 + src + a, l3 + src + 2 * a)).as("to the backend")
                .isEqualTo(ip(b(family)).getAddress());
        int q = l3 + (family == 4 ? 20 : 40) + 8;
        int qh = family == 4 ? 20 : 40;
        assertThat(Arrays.copyOfRange(out, q + src, q + src + a)).as("the reply from the backend")
                .isEqualTo(ip(b(family)).getAddress());
        assertThat(Arrays.copyOfRange(out, q + src + a, q + src + 2 * a)).isEqualTo(ip(ext(family)).getAddress());
        assertThat(ByteBuffer.wrap(out).getShort(q + qh) & 0xffff).isEqualTo(BPORT);
        assertThat(ByteBuffer.wrap(out).getShort(q + qh + 2) & 0xffff).isEqualTo(CPORT);
        if (family == 4) {
            assertThat(ipSum(out, q)).as("quoted header checksum").isEqualTo(0xffff);
        }
        assertThat(dp.npPackets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);
    }

    /** ICMPv6 packet too big quoting the IPv6 header and 8 bytes of L4 of a frame (checksum left to Checksums.fill). */
    static L4 tooBig6(byte[] frame, int mtu) {
        byte[] quote = Arrays.copyOfRange(frame, 14, 14 + 40 + 8);
        ByteBuffer b = ByteBuffer.allocate(8 + quote.length);
        b.put((byte) 2).put((byte) 0).putShort((short) 0).putInt(mtu).put(quote);
        return new L4(ICMPV6, b.array());
    }

    /** ICMP fragmentation needed quoting the IP header and 8 bytes of L4 of a frame. */
    static L4 fragNeeded(byte[] frame, int mtu) {
        return unreachable(frame, 4, mtu);
    }

    static L4 unreachable(byte[] frame, int code, int mtu) {
        byte[] quote = Arrays.copyOfRange(frame, 14, 14 + ihl(frame) + 8);
        ByteBuffer b = ByteBuffer.allocate(8 + quote.length);
        b.put((byte) 3).put((byte) code).putShort((short) 0).putShort((short) 0).putShort((short) mtu).put(quote);
        byte[] m = b.array();
        int s = 0;
        for (int i = 0; i + 1 < m.length; i += 2) {
            s += ((m[i] & 0xff) << 8) | (m[i + 1] & 0xff);
        }
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        ByteBuffer.wrap(m).putShort(2, (short) ~s);
        return new L4(ICMP, m);
    }

    static int ipSum(byte[] f, int off) {
        int s = 0;
        for (int i = 0; i < 20; i += 2) {
            s += ((f[off + i] & 0xff) << 8) | (f[off + i + 1] & 0xff);
        }
        s = (s & 0xffff) + (s >>> 16);
        return (s & 0xffff) + (s >>> 16);
    }
}
