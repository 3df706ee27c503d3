package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.EndpointServiceTest.Tuple;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.nodeport.LbSrcRangeKey;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.datapath.nodeport.NpCfg;
import dev.weir.datapath.nodeport.NpCtKey;
import dev.weir.datapath.nodeport.NpCtVal;
import dev.weir.ebpf.TestRun;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import dev.weir.testkit.Frames;

/**
 * Services from outside the node through BPF_PROG_TEST_RUN (docs/service-datapath.md, "From outside the
 * node"): {@code weir_from_netdev} on the underlay translates an external client's packet to a NodePort /
 * LoadBalancer frontend (DNAT, and SNAT to the node's address unless externalTrafficPolicy Local), restores
 * a remote backend's reply, and {@code weir_from_ep} restores a local backend's; checksums recomputed in
 * Java over every packet out.
 *
 * <p>The node is 192.168.100.1 / fd00:192:168:100::1, the client 192.168.100.200 / fd00:192:168:100::200.
 * Service 1's frontend is the NodePort 30080 on the node's address (rev-NAT 1), its backend B (id 1,
 * 10.0.0.20 / fd00::20 port 8080), a pod of this node in the endpoint tests' setup.
 *
 * <p>A translated packet leaves through {@code bpf_fib_lookup} + {@code bpf_redirect_neigh}: the verdict is
 * TC_ACT_REDIRECT when the test's network namespace has a route for the new destination and forwarding,
 * else TC_ACT_OK (the stack decides); either is accepted, the packet out is what is checked.
 */
class NodePortTest {

    static final int TC_ACT_REDIRECT = 7;
    /** What weir_from_netdev returns for a packet not its own: the next program on the hook, or the stack. */
    static final int TC_ACT_UNSPEC = -1;
    static final String NODE4 = "192.168.100.1";
    static final String NODE6 = "fd00:192:168:100::1";
    static final String EXT4 = "192.168.100.200";
    static final String EXT6 = "fd00:192:168:100::200";
    static final String LB4 = "203.0.113.5";
    static final int NODEPORT = 30080;
    static final int BPORT = 8080;
    static final int SVC = 1;
    static final int REVNAT = 1;
    static final int BE_B = 1;
    static final int CPORT = 40000;

    NodePortDatapath dp;

    @BeforeEach
    void load() {
        Requirements.rootWithBpffs();
        dp = new NodePortDatapath();
        dp.npCfg.put(0, NpCfg.of(ip(NODE4), ip(NODE6)));
    }

    @AfterEach
    void close() {
        if (dp != null) {
            dp.close();
            assertThat(dp.pins).doesNotExist();
        }
    }

    static String node(int family) {
        return family == 4 ? NODE4 : NODE6;
    }

    static String ext(int family) {
        return family == 4 ? EXT4 : EXT6;
    }

    static String b(int family) {
        return family == 4 ? EndpointTestBase.B4 : EndpointTestBase.B6;
    }

    /** Frontend addr:port of family/proto, flags, backends by id (count = how many). */
    void frontend(String addr, int port, int proto, int flags, int... backendIds) {
        dp.lbSvc.put(LbTc.svcKey(ip(addr), port, proto, LbTc.SCOPE_ANY),
                LbTc.svcVal(SVC, REVNAT, backendIds.length, flags, 0, 0, 0));
        dp.lbRevnat.put(REVNAT, LbTc.frontend(ip(addr), port, proto));
        for (int i = 0; i < backendIds.length; i++) {
            dp.lbSlot.put(LbTc.slotKey(SVC, i + 1, 0), EndpointServiceTest.u32(backendIds[i]));
        }
    }

    void backendB(int family, int proto) {
        dp.lbBackend.put(BE_B, LbTc.backend(ip(b(family)), BPORT, proto, LbTc.BE_ACTIVE));
    }

    /**
     * A frame with correct checksums to this host: BPF_PROG_TEST_RUN runs on lo, whose MAC address is all
     * zero, so that is the destination MAC (else the frame is for another host and passes).
     */
    static byte[] frame(int family, String src, String dst, L4 l4) {
        return toHost(EndpointServiceTest.frame(family, src, dst, l4));
    }

    static byte[] toHost(byte[] frame) {
        java.util.Arrays.fill(frame, 0, 6, (byte) 0);
        return frame;
    }

    static L4 l4(int proto, int sport, int dport, int flags) {
        return EndpointServiceTest.l4(proto, sport, dport, flags);
    }

    static Tuple tuple(String src, int sport, String dst, int dport) {
        return EndpointServiceTest.tuple(src, sport, dst, dport);
    }

    static void assertTranslated(TestRun.Result r, Tuple expected) {
        assertThat(r.retval()).as("verdict").isIn(TC_ACT_OK, TC_ACT_REDIRECT);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(expected);
        assertThat(Checksums.check(r.dataOut())).as("checksums of the packet out").isEmpty();
    }

    @ParameterizedTest(name = "IPv{0} proto {1}")
    @CsvSource({"4, 6", "4, 17", "6, 6", "6, 17"})
    void nodePortDnatSnatAndTheRemoteBackendsReply(int family, int proto) {
        backendB(family, proto);
        frontend(node(family), NODEPORT, proto, LbMaps.F_NODEPORT, BE_B);

        TestRun.Result r = dp.underlay(frame(family, ext(family), node(family), l4(proto, CPORT, NODEPORT, SYN)));
        // the client's port is in the SNAT range and free: kept
        assertTranslated(r, tuple(node(family), CPORT, b(family), BPORT));
        assertThat(dp.npPackets(DropReason.PASS_SERVICE_DNAT)).isEqualTo(1);

        NpCtVal fwd = dp.npCt.lookup(NpCtKey.of(ip(ext(family)), CPORT, ip(node(family)), NODEPORT, proto,
                NodePortMaps.DIR_FWD)).orElseThrow();
        assertThat(fwd.snat()).isTrue();
        assertThat(fwd.backendId()).isEqualTo(BE_B);
        assertThat(fwd.svcId()).isEqualTo(SVC);
        assertThat(fwd.revNatId()).isEqualTo(REVNAT);
        NpCtVal rev = dp.npCt.lookup(NpCtKey.of(ip(b(family)), BPORT, ip(node(family)), CPORT, proto,
                NodePortMaps.DIR_REV)).orElseThrow();
        assertThat(dev.weir.datapath.Mem.address(rev.natSaddr())).isEqualTo(ip(node(family)));
        assertThat(rev.natSport()).isEqualTo(NODEPORT);
        assertThat(dev.weir.datapath.Mem.address(rev.natDaddr())).isEqualTo(ip(ext(family)));
        assertThat(rev.natDport()).isEqualTo(CPORT);

        // the remote backend's reply comes back to the SNAT port on the underlay
        r = dp.underlay(frame(family, b(family), node(family), l4(proto, BPORT, CPORT, SYN | ACK)));
        assertTranslated(r, tuple(node(family), NODEPORT, ext(family), CPORT));
        assertThat(dp.npPackets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);

        // the client's next packet: the same backend and SNAT port
        r = dp.underlay(frame(family, ext(family), node(family), l4(proto, CPORT, NODEPORT, ACK)));
        assertTranslated(r, tuple(node(family), CPORT, b(family), BPORT));
        assertThat(dp.npPackets(DropReason.PASS_SERVICE_DNAT)).isEqualTo(2);
        if (proto == TCP) {
            NpCtVal now = dp.npCt.lookup(NpCtKey.of(ip(ext(family)), CPORT, ip(node(family)), NODEPORT, proto,
                    NodePortMaps.DIR_FWD)).orElseThrow();
            assertThat(now.state()).as("established").isEqualTo(2);
            assertThat(now.packets()).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "IPv{0} proto {1}")
    @CsvSource({"4, 6", "4, 17", "6, 6", "6, 17"})
    void aLocalBackendsReplyIsRestoredAtWeirFromEp(int family, int proto) {
        backendB(family, proto);
        frontend(node(family), NODEPORT, proto, LbMaps.F_NODEPORT, BE_B);
        TestRun.Result r = dp.underlay(frame(family, ext(family), node(family), l4(proto, CPORT, NODEPORT, SYN)));
        assertTranslated(r, tuple(node(family), CPORT, b(family), BPORT));

        // to pod B (no policy: tracked as an ingress connection from the node's address)
        TestRun.Result in = dp.to(EndpointTestBase.B, r.dataOut());
        assertThat(in.retval()).isEqualTo(TC_ACT_OK);
        // B answers the node's address and SNAT port; weir_from_ep restores frontend -> client
        TestRun.Result out = dp.from(EndpointTestBase.B,
                frame(family, b(family), node(family), l4(proto, BPORT, CPORT, SYN | ACK)));
        assertTranslated(out, tuple(node(family), NODEPORT, ext(family), CPORT));
        assertThat(dp.epPackets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);
    }

    @ParameterizedTest(name = "IPv{0} proto {1}")
    @CsvSource({"4, 6", "4, 17", "6, 6", "6, 17"})
    void externalTrafficPolicyLocalKeepsTheClientsSource(int family, int proto) {
        backendB(family, proto);
        frontend(node(family), NODEPORT, proto, LbMaps.F_NODEPORT | LbMaps.F_EXT_LOCAL, BE_B);
        TestRun.Result r = dp.underlay(frame(family, ext(family), node(family), l4(proto, CPORT, NODEPORT, SYN)));
        assertTranslated(r, tuple(ext(family), CPORT, b(family), BPORT));
        NpCtVal fwd = dp.npCt.lookup(NpCtKey.of(ip(ext(family)), CPORT, ip(node(family)), NODEPORT, proto,
                NodePortMaps.DIR_FWD)).orElseThrow();
        assertThat(fwd.snat()).isFalse();

        assertThat(dp.to(EndpointTestBase.B, r.dataOut()).retval()).isEqualTo(TC_ACT_OK);
        TestRun.Result out = dp.from(EndpointTestBase.B,
                frame(family, b(family), ext(family), l4(proto, BPORT, CPORT, SYN | ACK)));
        assertTranslated(out, tuple(node(family), NODEPORT, ext(family), CPORT));
    }

    @Test
    void policyStillAppliesAtTheBackendWhichSeesTheNode() {
        backendB(4, TCP);
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, BE_B);
        TestRun.Result r = dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN)));
        assertTranslated(r, tuple(NODE4, CPORT, EndpointTestBase.B4, BPORT));
        // B's ingress is enforced and admits nothing: the translated packet drops at weir_to_ep
        EpInfo enforced = EndpointTestBase.enforced(EndpointTestBase.B, EndpointTestBase.IN);
        assertThat(dp.to(enforced, r.dataOut()).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.epPackets(DropReason.DROP_POLICY)).isEqualTo(1);
    }

    @Test
    void aDeletedFrontendIsNoLongerTranslatedButARemovedBackendIsReplaced() {
        backendB(4, TCP);
        dp.lbBackend.put(2, LbTc.backend(ip(EndpointTestBase.C4), BPORT, TCP, LbTc.BE_ACTIVE));
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, BE_B);
        assertTranslated(dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN))),
                tuple(NODE4, CPORT, EndpointTestBase.B4, BPORT));
        // B leaves: the connection's next packet gets a new backend (C)
        dp.lbBackend.delete(BE_B);
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, 2);
        TestRun.Result r = dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, ACK)));
        Tuple t = Tuple.of(r.dataOut());
        assertThat(t.dst()).isEqualTo(ip(EndpointTestBase.C4));
        // the service goes: untranslated
        dp.lbSvc.delete(LbTc.svcKey(ip(NODE4), NODEPORT, TCP, LbTc.SCOPE_ANY));
        byte[] f = frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, ACK));
        r = dp.underlay(f);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(f);
    }

    @Test
    void aZeroUdpChecksumStaysZero() {
        backendB(4, UDP);
        frontend(NODE4, NODEPORT, UDP, LbMaps.F_NODEPORT, BE_B);
        byte[] f = toHost(Checksums.fill(ipv4(EXT4, NODE4, udp(CPORT, NODEPORT, 11)).eth(), true));
        TestRun.Result r = dp.underlay(f);
        assertTranslated(r, tuple(NODE4, CPORT, EndpointTestBase.B4, BPORT));
        assertThat(Checksums.udpZero(r.dataOut())).isTrue();
    }

    @Test
    void aTakenSnatPortIsNotReused() {
        backendB(4, TCP);
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, BE_B);
        assertTranslated(dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN))),
                tuple(NODE4, CPORT, EndpointTestBase.B4, BPORT));
        // another client with the same port: the node's CPORT towards B is taken
        TestRun.Result r = dp.underlay(frame(4, "192.168.100.201", NODE4, l4(TCP, CPORT, NODEPORT, SYN)));
        Tuple t = Tuple.of(r.dataOut());
        assertThat(t.src()).isEqualTo(ip(NODE4));
        assertThat(t.sport()).isNotEqualTo(CPORT).isBetween(NodePortMaps.SNAT_PORT_MIN, NodePortMaps.SNAT_PORT_MAX);
        assertThat(Checksums.check(r.dataOut())).isEmpty();
        // each reply finds its own client
        assertTranslated(dp.underlay(frame(4, EndpointTestBase.B4, NODE4, l4(TCP, BPORT, t.sport(), SYN | ACK))),
                tuple(NODE4, NODEPORT, "192.168.100.201", CPORT));
        assertTranslated(dp.underlay(frame(4, EndpointTestBase.B4, NODE4, l4(TCP, BPORT, CPORT, SYN | ACK))),
                tuple(NODE4, NODEPORT, EXT4, CPORT));
    }

    @Test
    void aClientPortOutsideTheRangeGetsOneInside() {
        backendB(4, UDP);
        frontend(NODE4, NODEPORT, UDP, LbMaps.F_NODEPORT, BE_B);
        TestRun.Result r = dp.underlay(frame(4, EXT4, NODE4, l4(UDP, 1234, NODEPORT, 0)));
        Tuple t = Tuple.of(r.dataOut());
        assertThat(t.sport()).isBetween(NodePortMaps.SNAT_PORT_MIN, NodePortMaps.SNAT_PORT_MAX);
        assertThat(Checksums.check(r.dataOut())).isEmpty();
    }

    @ParameterizedTest(name = "IPv{0}")
    @CsvSource({"4", "6"})
    void sourceRangesAdmitOnlyTheirSources(int family) {
        String lb = family == 4 ? LB4 : "2001:db8::5";
        backendB(family, TCP);
        frontend(lb, 80, TCP, LbMaps.F_LOADBALANCER | LbMaps.F_SRC_RANGES, BE_B);
        byte[] net = ip(family == 4 ? "192.168.100.0" : "fd00:192:168:100::").getAddress();
        dp.srcRange.put(LbSrcRangeKey.of(REVNAT, net, family == 4 ? 24 : 64), 1);

        assertTranslated(dp.underlay(frame(family, ext(family), lb, l4(TCP, CPORT, 80, SYN))),
                tuple(node(family), CPORT, b(family), BPORT));
        String outsider = family == 4 ? "198.51.100.7" : "2001:db8:1::7";
        byte[] f = frame(family, outsider, lb, l4(TCP, CPORT, 80, SYN));
        TestRun.Result r = dp.underlay(f);
        assertThat(r.retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_LB_SRC_RANGE)).isEqualTo(1);
        assertThat(dp.npCt.keys()).hasSize(2); // only the admitted connection

        // a range of another frontend does not admit
        dp.srcRange.put(LbSrcRangeKey.of(REVNAT + 1, ip(outsider).getAddress(), family == 4 ? 32 : 128), 1);
        assertThat(dp.underlay(f).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_LB_SRC_RANGE)).isEqualTo(2);
    }

    @Test
    void noBackendDrops() {
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT);
        TestRun.Result r = dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN)));
        assertThat(r.retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_NO_SERVICE_BACKEND)).isEqualTo(1);
        // a slot whose backend is gone: the same
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, 7);
        assertThat(dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN))).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_NO_SERVICE_BACKEND)).isEqualTo(2);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 6})
    void aServiceWithoutEndpointsAnswersPortUnreachable(int family) {
        frontend(node(family), NODEPORT, UDP, LbMaps.F_NODEPORT | LbMaps.F_REJECT);
        byte[] in = frame(family, ext(family), node(family), l4(UDP, CPORT, NODEPORT, SYN));
        TestRun.Result r = dp.underlay(in);
        assertThat(r.retval()).as("out the way it came").isEqualTo(7); // TC_ACT_REDIRECT
        PortUnreachable.assertAnswers(in, r.dataOut());
        assertThat(dp.npPackets(DropReason.DROP_NO_SERVICE_BACKEND)).isEqualTo(1);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    @Test
    void theUnderlayReportsItsDropsAndEachNewConnectionsTranslation() {
        backendB(4, UDP);
        frontend(NODE4, NODEPORT, UDP, LbMaps.F_NODEPORT, BE_B);
        dp.underlay(frame(4, EXT4, NODE4, l4(UDP, CPORT, NODEPORT, 0)));
        dp.underlay(frame(4, EXT4, NODE4, l4(UDP, CPORT, NODEPORT, 0)));
        java.util.List<FlowEvent> events = dp.drainEvents();
        assertThat(events).as("the connection's first packet only").hasSize(1);
        FlowEvent t = events.get(0);
        assertThat(t.verdict()).isEqualTo(FlowEvent.TRANSLATED);
        assertThat(t.reason()).isEqualTo(DropReason.PASS_SERVICE_DNAT.code());
        assertThat(t.svcId()).isEqualTo(SVC);
        assertThat(t.revNatId()).isEqualTo(REVNAT);
        assertThat(t.family()).isEqualTo(4);
        assertThat(t.proto()).isEqualTo(UDP);
        assertThat(t.sport()).isEqualTo(CPORT);
        assertThat(t.dport()).as("the packet as it arrived: the frontend's port").isEqualTo(NODEPORT);
        assertThat(dev.weir.datapath.Mem.address(t.saddr())).isEqualTo(ip(EXT4));
        assertThat(t.ifindex()).isEqualTo(dp.ifindex);

        frontend(NODE4, NODEPORT + 1, TCP, LbMaps.F_NODEPORT);
        dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT + 1, SYN)));
        FlowEvent d = dp.drainEvents().getFirst();
        assertThat(d.verdict()).isEqualTo(FlowEvent.DROPPED);
        assertThat(d.reason()).isEqualTo(DropReason.DROP_NO_SERVICE_BACKEND.code());
        assertThat(d.dport()).isEqualTo(NODEPORT + 1);
        assertThat(d.tcpFlags()).isEqualTo(SYN);
        assertThat(dp.npPackets(DropReason.EVENTS_SENT)).isEqualTo(2);
    }

    @Test
    void withoutASnatAddressTheClientIsDropped() {
        dp.npCfg.put(0, NpCfg.of(null, ip(NODE6)));
        backendB(4, TCP);
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, BE_B);
        assertThat(dp.underlay(frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN))).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_SNAT_FAILED)).isEqualTo(1);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    @Test
    void clusterIpsAndOtherTrafficPassUntouched() {
        backendB(4, TCP);
        frontend("10.96.0.10", 80, TCP, 0, BE_B); // a ClusterIP: not for clients outside the node
        byte[] f = frame(4, EXT4, "10.96.0.10", l4(TCP, CPORT, 80, SYN));
        TestRun.Result r = dp.underlay(f);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(f);
        byte[] podToPod = frame(4, "10.0.0.10", EndpointTestBase.B4, l4(UDP, 5000, 80, 0));
        r = dp.underlay(podToPod);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(podToPod);
        assertThat(dp.underlay(toHost(arp())).retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(dp.npPackets(DropReason.PASS)).isEqualTo(2);
        assertThat(dp.npPackets(DropReason.PASS_NOT_IP)).isEqualTo(1);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    @Test
    void framesForOtherHostsPassUntouched() {
        backendB(4, TCP);
        frontend(NODE4, NODEPORT, TCP, LbMaps.F_NODEPORT, BE_B);
        byte[] f = EndpointServiceTest.frame(4, EXT4, NODE4, l4(TCP, CPORT, NODEPORT, SYN)); // MAC 02:..:02
        TestRun.Result r = dp.underlay(f);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(f);
        assertThat(dp.npCt.keys()).isEmpty();
    }

    @Test
    void aReplyWithoutEntryToTheNodePassesUntouched() {
        byte[] f = frame(4, EndpointTestBase.B4, NODE4, l4(TCP, BPORT, 45000, ACK));
        TestRun.Result r = dp.underlay(f);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(f);
    }

    static InetAddress ip(String s) {
        return Frames.ip(s);
    }
}
