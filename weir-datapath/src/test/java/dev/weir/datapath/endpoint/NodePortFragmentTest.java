package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.datapath.endpoint.NodePortTest.TC_ACT_REDIRECT;
import static dev.weir.datapath.endpoint.NodePortTest.TC_ACT_UNSPEC;
import static dev.weir.datapath.endpoint.NodePortTest.NODE4;
import static dev.weir.datapath.endpoint.NodePortTest.NODE6;
import static dev.weir.datapath.endpoint.NodePortTest.EXT4;
import static dev.weir.datapath.endpoint.NodePortTest.NODEPORT;
import static dev.weir.datapath.endpoint.NodePortTest.BPORT;
import static dev.weir.datapath.endpoint.NodePortTest.SVC;
import static dev.weir.datapath.endpoint.NodePortTest.REVNAT;
import static dev.weir.datapath.endpoint.NodePortTest.BE_B;
import static dev.weir.datapath.endpoint.NodePortTest.CPORT;
import static dev.weir.datapath.endpoint.NodePortTest.b;
import static dev.weir.datapath.endpoint.NodePortTest.ext;
import static dev.weir.datapath.endpoint.NodePortTest.node;
import static dev.weir.datapath.endpoint.NodePortTest.toHost;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.Mem;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.datapath.nodeport.NpCfg;
import dev.weir.datapath.nodeport.NpFragVal;
import dev.weir.ebpf.TestRun;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fragments of translated UDP datagrams from outside the node through BPF_PROG_TEST_RUN (docs/service-datapath.md,
 * "Fragments"): a non-first fragment has no ports, so it follows its first fragment's translation, kept in
 * {@code np_frag}: to the backend (DNAT + SNAT, or DSR), and back (a remote backend's reply at the underlay, a local
 * backend's at {@code weir_from_ep}). {@link NodePortTest}'s addresses; IPv4 fragments carry UDP checksum 0 (the
 * checksum of a whole datagram cannot be checked per fragment), IPv6 ones are checked by their addresses.
 */
class NodePortFragmentTest {

    static final int ID = 4242;

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

    void service(int family, int flags, int count) {
        dp.lbBackend.put(BE_B, LbTc.backend(ip(b(family)), BPORT, UDP, LbTc.BE_ACTIVE));
        dp.lbSvc.put(LbTc.svcKey(ip(node(family)), NODEPORT, UDP, LbTc.SCOPE_ANY),
                LbTc.svcVal(SVC, REVNAT, count, flags, 0, 0, 0));
        dp.lbRevnat.put(REVNAT, LbTc.frontend(ip(node(family)), NODEPORT, UDP));
        dp.lbSlot.put(LbTc.slotKey(SVC, 1, 0), EndpointServiceTest.u32(BE_B));
    }

    /** The first fragment of a UDP datagram, to this host. */
    static byte[] first(int family, String src, String dst, int sport, int dport, int id) {
        return toHost(family == 4 ? Checksums.fill(ipv4(src, dst, udp(sport, dport, 16)).fragment(id, 0, true).eth(), true)
                : ipv6(src, dst, udp(sport, dport, 16)).fragment(id, 0, true).eth());
    }

    /** A later fragment (offset 24 bytes, the last one) of the datagram. */
    static byte[] later(int family, String src, String dst, int id) {
        return toHost(family == 4 ? Checksums.fill(ipv4(src, dst, raw(UDP, 16)).fragment(id, 3, false).eth(), true)
                : ipv6(src, dst, raw(UDP, 16)).fragment(id, 3, false).eth());
    }

    static String src(byte[] f) {
        boolean v4 = f[12] == 0x08 && f[13] == 0x00;
        return Mem.address(Arrays.copyOfRange(f, v4 ? 26 : 22, v4 ? 30 : 38)).getHostAddress();
    }

    static String dst(byte[] f) {
        boolean v4 = f[12] == 0x08 && f[13] == 0x00;
        return Mem.address(Arrays.copyOfRange(f, v4 ? 30 : 38, v4 ? 34 : 54)).getHostAddress();
    }

    static void assertAddresses(TestRun.Result r, String src, String dst) {
        assertThat(r.retval()).as("verdict").isIn(TC_ACT_OK, TC_ACT_REDIRECT);
        assertThat(src(r.dataOut())).as("source").isEqualTo(ip(src).getHostAddress());
        assertThat(dst(r.dataOut())).as("destination").isEqualTo(ip(dst).getHostAddress());
        if (r.dataOut()[12] == 0x08) {
            assertThat(PortUnreachable.sumsToZero(r.dataOut(), 14, (r.dataOut()[14] & 0x0f) * 4))
                    .as("IPv4 header checksum").isTrue();
        }
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void aRequestsLaterFragmentsFollowItsFirstToTheBackendAndTheRepliesBack(int family) {
        service(family, LbMaps.F_NODEPORT, 1);
        assertAddresses(dp.underlay(first(family, ext(family), node(family), CPORT, NODEPORT, ID)),
                node(family), b(family));
        NpFragVal v = dp.npFrag.lookup(new EpFragKey(Mem.mapped(ip(ext(family))), Mem.mapped(ip(node(family))), ID, 0,
                UDP, family, NodePortMaps.DIR_FWD)).orElseThrow();
        assertThat(Mem.address(v.natSaddr())).isEqualTo(ip(node(family)));
        assertThat(Mem.address(v.natDaddr())).isEqualTo(ip(b(family)));
        assertThat(v.reason()).isEqualTo(DropReason.PASS_SERVICE_DNAT.code());
        assertThat(v.svcId()).isEqualTo(SVC);

        assertAddresses(dp.underlay(later(family, ext(family), node(family), ID)), node(family), b(family));
        assertThat(dp.npPackets(DropReason.PASS_FRAGMENT)).isEqualTo(1);

        // the remote backend's fragmented reply to the SNAT port: every fragment from the frontend to the client
        assertAddresses(dp.underlay(first(family, b(family), node(family), BPORT, CPORT, ID + 1)),
                node(family), ext(family));
        assertAddresses(dp.underlay(later(family, b(family), node(family), ID + 1)), node(family), ext(family));
        assertThat(dp.npPackets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);
        assertThat(dp.npPackets(DropReason.PASS_FRAGMENT)).isEqualTo(2);
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void aLocalBackendsFragmentedReplyFollowsItsFirstAtWeirFromEp(int family) {
        service(family, LbMaps.F_NODEPORT, 1);
        TestRun.Result r = dp.underlay(first(family, ext(family), node(family), CPORT, NODEPORT, ID));
        assertThat(dp.to(EndpointTestBase.B, r.dataOut()).retval()).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(EndpointTestBase.B, dp.underlay(later(family, ext(family), node(family), ID)).dataOut())
                .retval()).as("the later fragment follows the first's verdict at weir_to_ep").isEqualTo(TC_ACT_OK);

        assertAddresses(dp.from(EndpointTestBase.B, first(family, b(family), node(family), BPORT, CPORT, ID + 1)),
                node(family), ext(family));
        TestRun.Result l = dp.from(EndpointTestBase.B, later(family, b(family), node(family), ID + 1));
        assertAddresses(l, node(family), ext(family));
        assertThat(dp.epPackets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);
        assertThat(dp.epPackets(DropReason.PASS_FRAGMENT)).isEqualTo(2);   // one at weir_to_ep, one at weir_from_ep
        assertThat(dp.epPackets(DropReason.DROP_FRAG_NOT_FOUND)).isZero();
    }

    @Test
    void laterFragmentsOfADroppedFirstAreDroppedToo() {
        service(4, LbMaps.F_NODEPORT, 0);   // no endpoints
        assertThat(dp.underlay(first(4, EXT4, NODE4, CPORT, NODEPORT, ID)).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.underlay(later(4, EXT4, NODE4, ID)).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.npPackets(DropReason.DROP_NO_SERVICE_BACKEND)).isEqualTo(2);
    }

    /**
     * A later fragment np_frag does not know (its first fragment not seen yet, or not a service's) passes
     * untouched: to this host it may be the host's own, which cannot be told without ports. At weir_from_ep, where
     * every fragment is the pod's, one without its first fragment is dropped.
     */
    @Test
    void aLaterFragmentBeforeItsFirstPassesUntouchedOnTheUnderlay() {
        service(4, LbMaps.F_NODEPORT, 1);
        byte[] f = later(4, EXT4, NODE4, ID);
        TestRun.Result r = dp.underlay(f);
        assertThat(r.retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(r.dataOut()).isEqualTo(f);
        assertThat(dp.npPackets(DropReason.PASS)).isEqualTo(1);

        assertThat(dp.from(EndpointTestBase.B, later(4, b(4), NODE4, ID + 1)).retval()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.epPackets(DropReason.DROP_FRAG_NOT_FOUND)).isEqualTo(1);
    }

    /**
     * DSR: the first fragment carries the option (every UDP datagram does), the later ones only their new
     * destination; the backend's node reassembles nothing and forwards them as they are.
     */
    @Test
    void dsrTheFirstFragmentCarriesTheOptionTheLaterOnesTheBackend() {
        dp.npCfg.put(0, NpCfg.of(ip(NODE4), ip(NODE6)).withDsr(true));
        service(4, LbMaps.F_NODEPORT, 1);
        byte[] in = first(4, EXT4, NODE4, CPORT, NODEPORT, ID);
        TestRun.Result r = dp.underlay(in);
        assertThat(r.dataOut()).hasSize(in.length + 8);
        assertThat(NodePortDsrTest.ihl(r.dataOut())).isEqualTo(28);
        assertAddresses(r, EXT4, b(4));
        byte[] carried = r.dataOut();

        byte[] l = later(4, EXT4, NODE4, ID);
        r = dp.underlay(l);
        assertThat(r.dataOut()).hasSize(l.length);
        assertAddresses(r, EXT4, b(4));

        // the backend's node: the first fragment's option makes the REV entry; B's fragmented reply leaves as the frontend
        dp.npCt.keys().forEach(dp.npCt::delete);
        dp.npFrag.keys().forEach(dp.npFrag::delete);
        assertThat(dp.underlay(toHost(carried)).retval()).isEqualTo(TC_ACT_UNSPEC);
        assertThat(dp.to(EndpointTestBase.B, carried).retval()).isEqualTo(TC_ACT_OK);
        assertAddresses(dp.from(EndpointTestBase.B, first(4, b(4), EXT4, BPORT, CPORT, ID + 1)), NODE4, EXT4);
        assertAddresses(dp.from(EndpointTestBase.B, later(4, b(4), EXT4, ID + 1)), NODE4, EXT4);
    }
}
