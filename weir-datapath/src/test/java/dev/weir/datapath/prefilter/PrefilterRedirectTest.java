package dev.weir.datapath.prefilter;

import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.datapath.prefilter.Prefilter.XDP_REDIRECT;
import static dev.weir.datapath.prefilter.Slots.Side.SRC;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.CtKey;
import dev.weir.datapath.endpoint.CtVal;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.ebpf.TestRun;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The redirect stage through BPF_PROG_TEST_RUN: a packet the prefilter passes, sent to this interface for a
 * local pod, returns XDP_REDIRECT (to the pod's lxc in pf_devmap, Ethernet rewritten, TTL decremented) only while
 * the pod's conntrack holds the connection established and its policy allows it; every other packet passes to
 * the TC path, counted by why. The test run's interface is loopback (ifindex 1), which also stands in for the
 * lxc in the devmap (a test run does not carry out the redirect).
 */
class PrefilterRedirectTest {

    static final int LO = 1;
    static final int EP = 7;
    static final int IDENTITY = 1000;
    static final int PEER = 2000;
    static final String POD = "10.244.1.10";
    static final String PEER_IP = "10.244.2.20";
    static final String POD6 = "fd00:10:244:1::10";
    static final String PEER6 = "fd00:10:244:2::20";
    /** Frames' own addresses: destination 02:00:00:00:00:02 (this interface), source ...:01. */
    static final byte[] IF_MAC = {2, 0, 0, 0, 0, 2};
    static final byte[] POD_MAC = {2, 0x11, 0, 0, 0, 0x10};
    static final byte[] LXC_MAC = {2, 0x22, 0, 0, 0, 0x10};

    Prefilter pf;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
        pf.cfg(0, new Slots().flags(PfCfg.REDIRECT).build());
        pf.rdrIf.put(LO, new PfRdrIf(IF_MAC));
        pf.devmap.put(LO, LO);
        pf.epByIfindex.put(LO, new EpInfo(EP, IDENTITY, 0, 0));
        pf.rdrEp.put(PfAddr.of(ip(POD)), new PfRdrEp(EP, LO, POD_MAC, LXC_MAC));
        pf.rdrEp.put(PfAddr.of(ip(POD6)), new PfRdrEp(EP, LO, POD_MAC, LXC_MAC));
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    static long live() {
        return System.nanoTime() + 60_000_000_000L;
    }

    static CtVal entry(int state, int flags, long expires) {
        return new CtVal(expires, 0, 0, 0, 0, 0, PEER, 0, state, flags, 0, 0, 0, 0);
    }

    /** The pod's ingress entry of PEER_IP:40000 -> POD:80. */
    static CtKey ingress(String src, String dst) {
        return CtKey.of(ip(src), ip(dst), 40000, 80, TCP, EndpointMaps.DIR_INGRESS, EP);
    }

    static byte[] data(String src, String dst) {
        return withIpChecksum(ipv4(src, dst, tcpFlags(40000, 80, ACK | PSH, 100)).eth());
    }

    /** The frame with a valid IPv4 header checksum (the builder leaves it 0). */
    static byte[] withIpChecksum(byte[] f) {
        f[24] = 0;
        f[25] = 0;
        int sum = ipSum(f);
        f[24] = (byte) (~sum >> 8);
        f[25] = (byte) ~sum;
        return f;
    }

    static int ipSum(byte[] f) {
        int ihl = (f[14] & 0xf) * 4;
        long s = 0;
        for (int i = 14; i < 14 + ihl; i += 2) {
            s += ((f[i] & 0xff) << 8) | (f[i + 1] & 0xff);
        }
        while (s >> 16 != 0) {
            s = (s & 0xffff) + (s >> 16);
        }
        return (int) s;
    }

    /** Runs the frame; asserts XDP_PASS and that only redirect counter {@code why} moved (by one), -1: none. */
    void tcPath(byte[] f, int why) {
        long[] before = redirectStats();
        assertThat(pf.run(f)).as("verdict").isEqualTo(XDP_PASS);
        long[] after = redirectStats();
        for (int i = 0; i < after.length; i++) {
            assertThat(after[i]).as("pf_rdr_stats[%d]", i).isEqualTo(before[i] + (i == why ? 1 : 0));
        }
    }

    long[] redirectStats() {
        long[] out = new long[16];
        for (int i = 0; i < out.length; i++) {
            out[i] = pf.redirectStat(i);
        }
        return out;
    }

    @Test
    void establishedIngressConnectionIsRedirectedRewrittenAndRefreshesConntrack() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        byte[] in = data(PEER_IP, POD);

        TestRun.Result r = pf.runFull(in);

        assertThat(r.retval()).isEqualTo(XDP_REDIRECT);
        byte[] out = r.dataOut();
        assertThat(Arrays.copyOfRange(out, 0, 6)).isEqualTo(POD_MAC);
        assertThat(Arrays.copyOfRange(out, 6, 12)).isEqualTo(LXC_MAC);
        assertThat(out[22] & 0xff).as("TTL").isEqualTo(63);
        assertThat(ipSum(out)).as("IPv4 header checksum still valid").isEqualTo(0xffff);
        assertThat(Arrays.copyOfRange(out, 34, out.length)).isEqualTo(Arrays.copyOfRange(in, 34, in.length));
        assertThat(pf.packets(DropReason.PASS_XDP_REDIRECT)).isEqualTo(1);
        assertThat(pf.packets(DropReason.PASS)).isZero();
        assertThat(pf.redirectStat(PrefilterMaps.RDR_ESTABLISHED)).isEqualTo(1);
        CtVal e = pf.ct.lookup(ingress(PEER_IP, POD)).orElseThrow();
        assertThat(e.packetsFwd()).isEqualTo(1);
        assertThat(e.bytesFwd()).isEqualTo(in.length);
        assertThat(e.expiresNs()).as("refreshed to the established lifetime")
                .isGreaterThan(System.nanoTime() + 3600_000_000_000L);
    }

    @Test
    void ipv6AndRepliesOfThePodsOwnConnectionsAreRedirected() {
        pf.ct.put(ingress(PEER6, POD6), entry(CtVal.ESTABLISHED, 0, live()));
        TestRun.Result r = pf.runFull(ipv6(PEER6, POD6, tcpFlags(40000, 80, ACK, 10)).eth());
        assertThat(r.retval()).isEqualTo(XDP_REDIRECT);
        assertThat(r.dataOut()[14 + 7] & 0xff).as("hop limit").isEqualTo(63);

        // the pod opened POD:50000 -> PEER_IP:443; the peer's answer is a reply
        pf.ct.put(CtKey.of(ip(POD), ip(PEER_IP), 50000, 443, TCP, EndpointMaps.DIR_EGRESS, EP),
                entry(CtVal.ESTABLISHED, 0, live()));
        byte[] reply = withIpChecksum(ipv4(PEER_IP, POD, tcpFlags(443, 50000, ACK, 10)).eth());
        assertThat(pf.run(reply)).isEqualTo(XDP_REDIRECT);
        assertThat(pf.redirectStat(PrefilterMaps.RDR_REPLY)).isEqualTo(1);
        assertThat(pf.redirectStat(PrefilterMaps.RDR_ESTABLISHED)).isEqualTo(1);
        assertThat(pf.packets(DropReason.PASS_XDP_REDIRECT)).isEqualTo(2);
    }

    @Test
    void withoutAnEstablishedLiveEntryPacketsTakeTheTcPath() {
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_CT);
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.SYN_SENT, 0, live()));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_CT);
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, 1));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_CT);
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.CLOSING, 0, live()));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_CT);
        // an entry of another endpoint is not this pod's
        pf.ct.put(CtKey.of(ip(PEER_IP), ip(POD), 40000, 80, TCP, EndpointMaps.DIR_INGRESS, EP + 1),
                entry(CtVal.ESTABLISHED, 0, live()));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_CT);
        // flushed conntrack (weir bpf ct flush): no entry, no redirect
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        assertThat(pf.run(data(PEER_IP, POD))).isEqualTo(XDP_REDIRECT);
        pf.ct.delete(ingress(PEER_IP, POD));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_CT);
        assertThat(pf.packets(DropReason.PASS)).isEqualTo(6);
    }

    @Test
    void auditTranslatedAndHairpinEntriesTakeTheTcPath() {
        for (int flag : new int[] {CtVal.F_AUDIT, CtVal.F_DNAT, CtVal.F_HAIRPIN}) {
            pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, flag, live()));
            tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_CT_FLAGS);
        }
    }

    @Test
    void synFinAndRstTakeTheTcPathWhereConntrackSeesThem() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        for (int flags : new int[] {SYN, SYN | ACK, FIN | ACK, RST, RST | ACK}) {
            tcPath(withIpChecksum(ipv4(PEER_IP, POD, tcpFlags(40000, 80, flags)).eth()), PrefilterMaps.RDR_FLAGS);
        }
    }

    @Test
    void policyIsCheckedAgainPerPacket() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        // ingress enforced and nothing allows PEER to port 80 any more
        pf.epByIfindex.put(LO, new EpInfo(EP, IDENTITY, EpInfo.INGRESS_ENFORCED, 0));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_POLICY);
        PolKey k = PolKey.port(EP, 0, EndpointMaps.DIR_INGRESS, PEER, 4, TCP, 80);
        pf.pol.put(k, PolVal.allow(k, 1));
        assertThat(pf.run(data(PEER_IP, POD))).isEqualTo(XDP_REDIRECT);
        // an explicit deny for any peer wins
        PolKey any = PolKey.port(EP, 0, EndpointMaps.DIR_INGRESS, 0, 4, TCP, 80);
        pf.pol.put(any, PolVal.deny(any, 2));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_POLICY);
        // the policy of the endpoint's other generation does not count
        pf.pol.delete(any);
        pf.epByIfindex.put(LO, new EpInfo(EP, IDENTITY, EpInfo.INGRESS_ENFORCED, 1));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_POLICY);
        // audit mode counts as no
        pf.epByIfindex.put(LO, new EpInfo(EP, IDENTITY, EpInfo.INGRESS_ENFORCED | EpInfo.INGRESS_AUDIT, 1));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_POLICY);
    }

    @Test
    void staleEndpointOrMissingDevmapEntryTakesTheTcPath() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        pf.epByIfindex.put(LO, new EpInfo(EP + 1, IDENTITY, 0, 0));
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_DEV);
        pf.epByIfindex.put(LO, new EpInfo(EP, IDENTITY, 0, 0));
        pf.devmap.delete(LO);
        tcPath(data(PEER_IP, POD), PrefilterMaps.RDR_NO_DEV);
    }

    @Test
    void shapesTheTcPathMustSeeAreNotRedirected() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        pf.ct.put(ingress(PEER6, POD6), entry(CtVal.ESTABLISHED, 0, live()));
        // IPv4 options (a DSR frontend rides in one), IPv6 extension headers, VLAN tags
        tcPath(ipv4(PEER_IP, POD, tcpFlags(40000, 80, ACK, 10)).options(new byte[] {1, 1, 1, 1}).eth(),
                PrefilterMaps.RDR_SHAPE);
        tcPath(ipv6(PEER6, POD6, tcpFlags(40000, 80, ACK, 10)).ext(DSTOPTS, 8).eth(), PrefilterMaps.RDR_SHAPE);
        tcPath(vlan(ipv4(PEER_IP, POD, tcpFlags(40000, 80, ACK, 10)).build(), 5), PrefilterMaps.RDR_SHAPE);
        // UDP and fragments
        tcPath(ipv4(PEER_IP, POD, udp(40000, 80, 10)).eth(), PrefilterMaps.RDR_NOT_TCP);
        tcPath(ipv4(PEER_IP, POD, tcpFlags(40000, 80, ACK, 40)).fragment(9, 0, true).eth(),
                PrefilterMaps.RDR_NOT_TCP);
        // a TTL that would expire here: the stack answers it
        byte[] ttl1 = data(PEER_IP, POD);
        ttl1[22] = 1;
        tcPath(withIpChecksum(ttl1), PrefilterMaps.RDR_TTL);
    }

    @Test
    void packetsNotForThisInterfaceOrNoLocalPodAreNotLookedAtFurther() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        byte[] otherMac = data(PEER_IP, POD);
        otherMac[5] = 9;
        tcPath(otherMac, -1);
        tcPath(data(PEER_IP, "10.244.1.99"), -1);
        // the interface is not one the redirect is on
        pf.rdrIf.delete(LO);
        tcPath(data(PEER_IP, POD), -1);
    }

    @Test
    void offByDefaultAndAfterThePrefiltersOwnVerdicts() {
        pf.ct.put(ingress(PEER_IP, POD), entry(CtVal.ESTABLISHED, 0, live()));
        // a deny rule drops first
        pf.cfg(0, new Slots().deny(0, SRC, false, 3).flags(PfCfg.REDIRECT).build());
        pf.src4.get(0).put(PrefilterRulesTest.v4(PEER_IP + "/32"), PfPrefixValue.of(1));
        assertThat(pf.run(data(PEER_IP, POD))).isEqualTo(XDP_DROP);
        // the stage off: the TC path, nothing counted
        pf.cfg(0, new Slots().build());
        tcPath(data(PEER_IP, POD), -1);
        assertThat(pf.packets(DropReason.PASS_XDP_REDIRECT)).isZero();
    }
}
