package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.Mem;
import dev.weir.ebpf.TestRun;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import dev.weir.testkit.Frames;

/**
 * Service translation at TC through BPF_PROG_TEST_RUN (docs/service-datapath.md, per-packet path): DNAT
 * of pod-originated packets to a frontend, conntrack of the translated connection, reverse NAT of its
 * replies, backend selection, hairpin; checksums recomputed in Java over the packet out.
 *
 * <p>Service 1 has the frontends 10.96.0.10 and fd00:96::10, port 80, TCP and UDP (rev-NAT ids 1-4 by
 * family and protocol); its backends are B (id 1) and C (id 2) at port 8080.
 */
class EndpointServiceTest extends EndpointTestBase {

    static final String F4 = "10.96.0.10";
    static final String F6 = "fd00:96::10";
    static final int FPORT = 80;
    static final int BPORT = 8080;
    static final int SVC = 1;
    static final int BE_B = 1;
    static final int BE_C = 2;
    static final int BE_A = 3;
    static final int TC_ACT_REDIRECT = 7;

    @BeforeEach
    void backends() {
        for (int proto : new int[] {TCP, UDP}) {
            dp.lbRevnat.put(revNat(4, proto), LbTc.frontend(ip(F4), FPORT, proto));
            dp.lbRevnat.put(revNat(6, proto), LbTc.frontend(ip(F6), FPORT, proto));
        }
    }

    static int revNat(int family, int proto) {
        return (family == 4 ? 1 : 3) + (proto == TCP ? 0 : 1);
    }

    /** Service 1 at family/proto with count active slots in generation gen, backends by id. */
    void serviceWith(int family, int proto, int flags, int gen, int affinityS, int maglevM, int... backendIds) {
        dp.lbSvc.put(LbTc.svcKey(ip(family == 4 ? F4 : F6), FPORT, proto, LbTc.SCOPE_ANY),
                LbTc.svcVal(SVC, revNat(family, proto), backendIds.length, flags, gen, affinityS, maglevM));
        for (int i = 0; i < backendIds.length; i++) {
            dp.lbSlot.put(LbTc.slotKey(SVC, i + 1, gen), u32(backendIds[i]));
        }
    }

    void service(int family, int proto, int... backendIds) {
        serviceWith(family, proto, 0, 0, 0, 0, backendIds);
    }

    void backend(int id, String addr, int proto, int state) {
        dp.lbBackend.put(id, LbTc.backend(ip(addr), BPORT, proto, state));
    }

    void backendsBC(int family, int proto) {
        backend(BE_B, family == 4 ? B4 : B6, proto, LbTc.BE_ACTIVE);
        backend(BE_C, family == 4 ? C4 : C6, proto, LbTc.BE_ACTIVE);
    }

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(v).array();
    }

    static byte[] frame(int family, String src, String dst, Frames.L4 l4) {
        return Checksums.fill(family == 4 ? ipv4(src, dst, l4).eth() : ipv6(src, dst, l4).eth(), false);
    }

    static Frames.L4 l4(int proto, int sport, int dport, int flags) {
        return proto == TCP ? tcpFlags(sport, dport, flags, 10) : udp(sport, dport, 11);
    }

    /** Source and destination address and port of a frame (untagged, no options/extension headers). */
    record Tuple(InetAddress src, int sport, InetAddress dst, int dport) {
        static Tuple of(byte[] f) {
            ByteBuffer b = ByteBuffer.wrap(f);
            boolean v4 = b.getShort(12) == ETH_P_IP;
            int l4 = v4 ? 34 : 54;
            byte[] s = Arrays.copyOfRange(f, v4 ? 26 : 22, v4 ? 30 : 38);
            byte[] d = Arrays.copyOfRange(f, v4 ? 30 : 38, v4 ? 34 : 54);
            return new Tuple(Mem.address(s), b.getShort(l4) & 0xffff, Mem.address(d), b.getShort(l4 + 2) & 0xffff);
        }
    }

    static Tuple tuple(String src, int sport, String dst, int dport) {
        return new Tuple(ip(src), sport, ip(dst), dport);
    }

    static void assertChecksums(byte[] out) {
        assertThat(Checksums.check(out)).as("checksums of the packet out").isEmpty();
    }

    @ParameterizedTest(name = "IPv{0} proto {1}")
    @CsvSource({"4, 6", "4, 17", "6, 6", "6, 17"})
    void dnatConntrackAndReverseNat(int family, int proto) {
        String a = family == 4 ? A4 : A6;
        String b = family == 4 ? B4 : B6;
        String f = family == 4 ? F4 : F6;
        int rev = revNat(family, proto);
        backendsBC(family, proto);
        service(family, proto, BE_B);

        TestRun.Result r = dp.fromRun(A, frame(family, a, f, l4(proto, 40000, FPORT, SYN)));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(a, 40000, b, BPORT));
        assertChecksums(r.dataOut());
        FlowEvent e = dp.onlyEvent();
        assertThat(e.reason()).isEqualTo(DropReason.PASS_SERVICE_DNAT.code());
        assertThat(e.verdict()).isEqualTo(FlowEvent.FORWARDED);
        assertThat(e.svcId()).isEqualTo(SVC);
        assertThat(e.revNatId()).isEqualTo(rev);
        assertThat(e.dstIdentity()).isEqualTo(ID_B);
        assertThat(Mem.address(e.daddr())).isEqualTo(ip(b));
        assertThat(e.dport()).isEqualTo(BPORT);

        // conntrack: the translated tuple (egress) and the service entry (the tuple to the frontend)
        CtVal ctv = dp.ct(CtKey.of(ip(a), ip(b), 40000, BPORT, proto, OUT, EP_A)).orElseThrow();
        assertThat(ctv.flags()).isEqualTo(CtVal.F_DNAT);
        assertThat(ctv.revNatId()).isEqualTo(rev);
        assertThat(ctv.svcId()).isEqualTo(SVC);
        assertThat(ctv.backendId()).isEqualTo(BE_B);
        assertThat(ctv.peerIdentity()).isEqualTo(ID_B);
        CtVal svc = dp.ct(CtKey.of(ip(a), ip(f), 40000, FPORT, proto, CtKey.DIR_SERVICE, EP_A)).orElseThrow();
        assertThat(svc.flags()).isEqualTo(CtVal.F_SERVICE);
        assertThat(svc.backendId()).isEqualTo(BE_B);
        assertThat(dp.ct.count()).isEqualTo(2);

        // the reply gets the frontend back as its source
        r = dp.toRun(A, frame(family, b, a, l4(proto, BPORT, 40000, SYN | ACK)));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(f, FPORT, a, 40000));
        assertChecksums(r.dataOut());

        // an established packet goes to the same backend, however many there are now
        service(family, proto, BE_C, BE_C, BE_C);
        r = dp.fromRun(A, frame(family, a, f, l4(proto, 40000, FPORT, ACK)));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(a, 40000, b, BPORT));
        assertChecksums(r.dataOut());
        r = dp.toRun(A, frame(family, b, a, l4(proto, BPORT, 40000, ACK)));
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(f, FPORT, a, 40000));
        assertChecksums(r.dataOut());

        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_SERVICE_DNAT, 2L,
                DropReason.PASS_SERVICE_REVNAT, 2L));
        ctv = dp.ct(CtKey.of(ip(a), ip(b), 40000, BPORT, proto, OUT, EP_A)).orElseThrow();
        assertThat(ctv.packetsFwd()).isEqualTo(2);
        assertThat(ctv.packetsRev()).isEqualTo(2);
        assertThat(dp.drainEvents()).isEmpty();
    }

    @Test
    void udpWithoutChecksumOverIpv4StaysWithout() {
        backendsBC(4, UDP);
        service(4, UDP, BE_B);
        byte[] q = Checksums.fill(ipv4(A4, F4, udp(5353, FPORT, 7)).eth(), true);
        TestRun.Result r = dp.fromRun(A, q);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(A4, 5353, B4, BPORT));
        assertThat(Checksums.udpZero(r.dataOut())).isTrue();
        assertChecksums(r.dataOut()); // the IPv4 header's
        r = dp.toRun(A, Checksums.fill(ipv4(B4, A4, udp(BPORT, 5353, 7)).eth(), true));
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(F4, FPORT, A4, 5353));
        assertThat(Checksums.udpZero(r.dataOut())).isTrue();
        assertChecksums(r.dataOut());
    }

    @Test
    void noBackendDrops() {
        service(4, TCP);
        assertThat(dp.from(A, frame(4, A4, F4, l4(TCP, 40000, FPORT, SYN)))).isEqualTo(TC_ACT_SHOT);
        FlowEvent e = dp.onlyEvent();
        assertThat(e.reason()).isEqualTo(DropReason.DROP_NO_SERVICE_BACKEND.code());
        assertThat(e.svcId()).isEqualTo(SVC);
        assertThat(Mem.address(e.daddr())).isEqualTo(ip(F4));
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.DROP_NO_SERVICE_BACKEND, 1L));
        assertThat(dp.ct.count()).isZero();
    }

    @ParameterizedTest
    @CsvSource({"4, 6", "4, 17", "6, 6", "6, 17"})
    void aServiceWithoutEndpointsAnswersPortUnreachable(int family, int proto) {
        serviceWith(family, proto, dev.weir.datapath.lb.LbMaps.F_REJECT, 0, 0, 0);
        byte[] in = frame(family, family == 4 ? A4 : A6, family == 4 ? F4 : F6, l4(proto, 40000, FPORT, SYN));
        TestRun.Result r = dp.fromRun(A, in);
        assertThat(r.retval()).as("back to the pod").isEqualTo(TC_ACT_REDIRECT);
        PortUnreachable.assertAnswers(in, r.dataOut());
        assertThat(dp.onlyEvent().reason()).isEqualTo(DropReason.DROP_NO_SERVICE_BACKEND.code());
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.DROP_NO_SERVICE_BACKEND, 1L));
        assertThat(dp.ct.count()).isZero();
    }

    /**
     * An ICMP error about a translated connection reaches the pod as about the frontend: a router's
     * fragmentation needed / packet too big (path-MTU discovery through a service), and the backend's own port
     * unreachable, which also comes from the frontend then.
     */
    @ParameterizedTest
    @CsvSource({"4, 6, false", "4, 17, true", "6, 6, false", "6, 17, true"})
    void icmpErrorsAboutATranslatedConnectionAreTranslatedBack(int family, int proto, boolean fromBackend) {
        backendsBC(family, proto);
        service(family, proto, BE_B);
        String a = family == 4 ? A4 : A6;
        String b = family == 4 ? B4 : B6;
        String f = family == 4 ? F4 : F6;
        TestRun.Result r = dp.fromRun(A, frame(family, a, f, l4(proto, 40000, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(a, 40000, b, BPORT));
        dp.drainEvents();

        String router = family == 4 ? "10.0.9.1" : "fd00:9::1";
        String from = fromBackend ? b : router;
        int quoteLen = family == 4 ? 28 : 48;
        byte[] quote = java.util.Arrays.copyOfRange(r.dataOut(), 14, 14 + quoteLen); // the packet the pod sent, translated
        int type = family == 4 ? 3 : fromBackend ? 1 : 2;          // unreachable / ICMPv6 packet too big
        int code = family == 4 ? (fromBackend ? 3 : 4) : fromBackend ? 4 : 0;
        byte[] icmp = ByteBuffer.allocate(8 + quoteLen).put((byte) type).put((byte) code).putShort((short) 0)
                .putInt(fromBackend ? 0 : 1280).put(quote).array();
        byte[] in = Checksums.fill(family == 4 ? ipv4(from, a, new Frames.L4(ICMP, icmp)).eth()
                : ipv6(from, a, new Frames.L4(ICMPV6, icmp)).eth(), false);
        r = dp.toRun(A, in);
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        byte[] out = r.dataOut();
        assertChecksums(out);
        int l3 = 14;
        int inner = l3 + (family == 4 ? 20 : 40) + 8;
        int addr = family == 4 ? 4 : 16;
        byte[] srcOut = java.util.Arrays.copyOfRange(out, l3 + (family == 4 ? 12 : 8), l3 + (family == 4 ? 12 : 8) + addr);
        assertThat(srcOut).as("the error's source").isEqualTo(ip(fromBackend ? f : router).getAddress());
        int innerDst = inner + (family == 4 ? 16 : 24);
        assertThat(java.util.Arrays.copyOfRange(out, innerDst, innerDst + addr)).as("the quote's destination").isEqualTo(ip(f).getAddress());
        int ports = inner + (family == 4 ? 20 : 40);
        assertThat(ByteBuffer.wrap(out).getShort(ports + 2) & 0xffff).as("the quote's destination port").isEqualTo(FPORT);
        if (family == 4) {
            assertThat(PortUnreachable.sumsToZero(out, inner, 20)).as("the quoted IPv4 header's checksum").isTrue();
        }
        assertThat(dp.verdicts()).containsEntry(DropReason.PASS_SERVICE_REVNAT, 1L);
    }

    /** The fragments of a translated UDP datagram follow their first fragment, both ways. */
    @Test
    void fragmentsOfATranslatedDatagramFollowTheirFirstFragment() {
        backendsBC(4, UDP);
        service(4, UDP, BE_B);
        TestRun.Result r = dp.fromRun(A, Checksums.fill(ipv4(A4, F4, udp(5353, FPORT, 16)).fragment(99, 0, true).eth(), true));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(A4, 5353, B4, BPORT));
        r = dp.fromRun(A, Checksums.fill(ipv4(A4, F4, raw(UDP, 16)).fragment(99, 3, false).eth(), true));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(java.util.Arrays.copyOfRange(r.dataOut(), 30, 34)).as("the later fragment's destination")
                .isEqualTo(ip(B4).getAddress());
        assertThat(PortUnreachable.sumsToZero(r.dataOut(), 14, 20)).as("its IPv4 header checksum").isTrue();

        // the backend's fragmented answer: every fragment from the frontend
        r = dp.toRun(A, Checksums.fill(ipv4(B4, A4, udp(BPORT, 5353, 16)).fragment(100, 0, true).eth(), true));
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(F4, FPORT, A4, 5353));
        r = dp.toRun(A, Checksums.fill(ipv4(B4, A4, raw(UDP, 16)).fragment(100, 3, false).eth(), true));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(java.util.Arrays.copyOfRange(r.dataOut(), 26, 30)).as("the later fragment's source").isEqualTo(ip(F4).getAddress());
        assertThat(PortUnreachable.sumsToZero(r.dataOut(), 14, 20)).isTrue();
        assertThat(dp.verdicts()).containsEntry(DropReason.PASS_FRAGMENT, 2L).doesNotContainKey(DropReason.DROP_FRAG_NOT_FOUND);
    }

    /** loadBalancerSourceRanges hold for pods too (kube-proxy's rule, and the upstream e2e test's). */
    @Test
    void sourceRangesFilterPods() {
        backendsBC(4, TCP);
        serviceWith(4, TCP, dev.weir.datapath.lb.LbMaps.F_LOADBALANCER | dev.weir.datapath.lb.LbMaps.F_SRC_RANGES, 0, 0, 0, BE_B);
        dp.srcRange.put(dev.weir.datapath.nodeport.LbSrcRangeKey.of(revNat(4, TCP), ip(A4).getAddress(), 32), 1);
        TestRun.Result r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 40000, FPORT, SYN)));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(A4, 40000, B4, BPORT));
        dp.drainEvents();

        assertThat(dp.from(B, frame(4, B4, F4, l4(TCP, 40000, FPORT, SYN)))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.onlyEvent().reason()).isEqualTo(DropReason.DROP_LB_SRC_RANGE.code());
        assertThat(dp.verdicts()).containsEntry(DropReason.DROP_LB_SRC_RANGE, 1L);
    }

    /**
     * A connection to an address and port closed before they became a frontend (iptables served them, or
     * nothing did) must not shadow the translated one when the client reuses its port: after the SYN is
     * translated, the handshake's ACK must be translated too, not pass as "established" untranslated.
     */
    @Test
    void aClosedConnectionFromBeforeTheServiceDoesNotShadowIt() {
        byte[] syn = frame(4, A4, F4, l4(TCP, 40100, FPORT, SYN));
        byte[] rst = frame(4, A4, F4, l4(TCP, 40100, FPORT, RST));
        assertThat(dp.from(A, syn)).isEqualTo(TC_ACT_OK);   // no service yet: tracked as is
        assertThat(dp.from(A, rst)).isEqualTo(TC_ACT_OK);   // closed
        backendsBC(4, TCP);
        service(4, TCP, BE_B);
        TestRun.Result r = dp.fromRun(A, syn);               // the port comes back: now a service
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(A4, 40100, B4, BPORT));
        r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 40100, FPORT, ACK)));
        assertThat(Tuple.of(r.dataOut())).as("the ACK follows the SYN to the backend").isEqualTo(tuple(A4, 40100, B4, BPORT));
    }

    @Test
    void notAFrontendIsUntouched() {
        backendsBC(4, TCP);
        service(4, TCP, BE_B);
        byte[] other = frame(4, A4, F4, l4(TCP, 40000, 81, SYN)); // another port
        TestRun.Result r = dp.fromRun(A, other);
        assertThat(r.dataOut()).isEqualTo(other);
        byte[] udp = frame(4, A4, F4, l4(UDP, 40000, FPORT, 0)); // another protocol
        assertThat(dp.fromRun(A, udp).dataOut()).isEqualTo(udp);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS, 2L));
    }

    /** Client ports of new connections: never one of an earlier connection (its service entry would decide). */
    private int nextPort = 20000;

    /** Backends of that many new connections from A to the IPv4 TCP frontend. */
    Map<InetAddress, Integer> spread(int connections) {
        Map<InetAddress, Integer> seen = new HashMap<>();
        for (int i = 0; i < connections; i++) {
            TestRun.Result r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, nextPort++, FPORT, SYN)));
            assertThat(r.retval()).isEqualTo(TC_ACT_OK);
            seen.merge(Tuple.of(r.dataOut()).dst(), 1, Integer::sum);
        }
        return seen;
    }

    @Override
    EndpointDatapath create() {
        return new EndpointDatapath(2048, 256 * 1024);
    }

    @Test
    void randomSpreadOverTheActiveSlots() {
        backendsBC(4, TCP);
        backend(BE_A, "10.0.0.40", TCP, LbTc.BE_ACTIVE);
        service(4, TCP, BE_B, BE_C, BE_A);
        Map<InetAddress, Integer> seen = spread(300);
        assertThat(seen.keySet()).containsExactlyInAnyOrder(ip(B4), ip(C4), ip("10.0.0.40"));
        // 100 expected each; 40 is more than 8 standard deviations away
        assertThat(seen.values()).allSatisfy(n -> assertThat(n).isGreaterThan(40));
    }

    @Test
    void terminatingBackendsAreNotChosenButKeepTheirConnections() {
        backendsBC(4, TCP);
        service(4, TCP, BE_C);
        TestRun.Result r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 40000, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut()).dst()).isEqualTo(ip(C4));
        // C terminates: the control plane takes it out of the slots (generation 1) and marks it
        backend(BE_C, C4, TCP, LbTc.BE_TERMINATING);
        serviceWith(4, TCP, 0, 1, 0, 0, BE_B);
        assertThat(spread(30)).isEqualTo(Map.of(ip(B4), 30));
        r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 40000, FPORT, ACK)));
        assertThat(Tuple.of(r.dataOut()).dst()).isEqualTo(ip(C4));
    }

    @Test
    void generationFlip() {
        backendsBC(4, TCP);
        serviceWith(4, TCP, 0, 0, 0, 0, BE_B);
        dp.lbSlot.put(LbTc.slotKey(SVC, 1, 1), u32(BE_C)); // the next list, written under the idle generation
        assertThat(spread(10)).isEqualTo(Map.of(ip(B4), 10));
        byte[] established = frame(4, A4, F4, l4(TCP, 20000, FPORT, ACK));
        // one update flips the service to generation 1
        dp.lbSvc.put(LbTc.svcKey(ip(F4), FPORT, TCP, LbTc.SCOPE_ANY), LbTc.svcVal(SVC, revNat(4, TCP), 1, 0, 1, 0, 0));
        TestRun.Result r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 30000, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut()).dst()).isEqualTo(ip(C4));
        // connections made before stay on their backend
        assertThat(Tuple.of(dp.fromRun(A, established).dataOut()).dst()).isEqualTo(ip(B4));
    }

    @Test
    void maglevEntryIsUsed() {
        backendsBC(4, TCP);
        int m = 7;
        serviceWith(4, TCP, LbTc.F_MAGLEV, 0, 0, m, BE_B); // random would pick B
        int index = Integer.remainderUnsigned(LbTc.clientHash(ip(A4), 40000, TCP), m);
        dp.lbMaglev.put(LbTc.maglevKey(SVC, index, 0), u32(BE_C));
        TestRun.Result r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 40000, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(A4, 40000, C4, BPORT));
        assertChecksums(r.dataOut());
        // a client port that hashes elsewhere: no entry there (a table being rewritten), random slot
        int other = 40001;
        while (Integer.remainderUnsigned(LbTc.clientHash(ip(A4), other, TCP), m) == index) {
            other++;
        }
        r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, other, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut()).dst()).isEqualTo(ip(B4));
    }

    @Test
    void affinityWithinItsTimeout() {
        backendsBC(4, TCP);
        serviceWith(4, TCP, LbTc.F_AFFINITY, 0, 100, 0, BE_B, BE_C);
        Map<InetAddress, Integer> seen = spread(20);
        assertThat(seen).hasSize(1); // every connection of the client on the first one's backend
        int chosen = seen.containsKey(ip(B4)) ? BE_B : BE_C;
        byte[] ak = LbTc.affinityKey(ip(A4), SVC);
        assertThat(LbTc.affinityBackend(dp.lbAffinity.lookup(ak).orElseThrow())).isEqualTo(chosen);

        // a remembered backend that is not in the slots (but active) is still used within the timeout
        serviceWith(4, TCP, LbTc.F_AFFINITY, 0, 100, 0, BE_B);
        dp.lbAffinity.put(ak, LbTc.affinityVal(System.nanoTime() - 50_000_000_000L, BE_C));
        assertThat(spread(5)).isEqualTo(Map.of(ip(C4), 5));
        // expired: selection again, and the new choice remembered
        dp.lbAffinity.put(ak, LbTc.affinityVal(System.nanoTime() - 150_000_000_000L, BE_C));
        TestRun.Result r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 50000, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut()).dst()).isEqualTo(ip(B4));
        assertThat(LbTc.affinityBackend(dp.lbAffinity.lookup(ak).orElseThrow())).isEqualTo(BE_B);
        // a remembered backend no longer active is not used
        backend(BE_B, B4, TCP, LbTc.BE_TERMINATING);
        serviceWith(4, TCP, LbTc.F_AFFINITY, 0, 100, 0, BE_C);
        r = dp.fromRun(A, frame(4, A4, F4, l4(TCP, 50001, FPORT, SYN)));
        assertThat(Tuple.of(r.dataOut()).dst()).isEqualTo(ip(C4));
    }

    @Test
    void policyJudgesTheBackend() {
        backendsBC(4, TCP);
        service(4, TCP, BE_B);
        EpInfo a = enforced(A, OUT);
        // allowed: B on the backend's port (the frontend's port would not do)
        dp.allow(PolKey.port(EP_A, 0, OUT, ID_B, 4, TCP, BPORT), 5);
        TestRun.Result r = dp.fromRun(a, frame(4, A4, F4, l4(TCP, 40000, FPORT, SYN)));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        FlowEvent e = dp.onlyEvent();
        assertThat(e.rule()).isEqualTo(5);
        assertThat(e.reason()).isEqualTo(DropReason.PASS_SERVICE_DNAT.code());

        // a deny for the backend's identity drops the translated connection
        dp.deny(PolKey.peer(EP_A, 0, OUT, ID_C), 6);
        service(4, TCP, BE_C);
        assertThat(dp.from(a, frame(4, A4, F4, l4(TCP, 40001, FPORT, SYN)))).isEqualTo(TC_ACT_SHOT);
        e = dp.onlyEvent();
        assertThat(e.reason()).isEqualTo(DropReason.DROP_POLICY_DENY.code());
        assertThat(e.rule()).isEqualTo(6);
        assertThat(e.dstIdentity()).isEqualTo(ID_C);
        assertThat(e.svcId()).isEqualTo(SVC);
        assertThat(Mem.address(e.daddr())).isEqualTo(ip(C4));
        // nothing tracked for it: neither the connection nor its service entry
        assertThat(dp.ct(CtKey.of(ip(A4), ip(F4), 40001, FPORT, TCP, CtKey.DIR_SERVICE, EP_A))).isEmpty();
        assertThat(dp.ct.count()).isEqualTo(2);
    }

    @Test
    void hairpin() {
        // A backs the service it calls
        backend(BE_A, A4, TCP, LbTc.BE_ACTIVE);
        service(4, TCP, BE_A);
        EpInfo a = enforced(A, IN);
        dp.allow(PolKey.peer(EP_A, 0, IN, ID_A), 3);

        TestRun.Result r = dp.fromRun(a, frame(4, A4, F4, l4(TCP, 40000, FPORT, SYN)));
        assertThat(r.retval()).isEqualTo(TC_ACT_OK);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple("169.254.42.1", 40000, A4, BPORT));
        assertChecksums(r.dataOut());
        // routed back to A: its ingress policy sees A itself as the peer
        assertThat(dp.to(a, r.dataOut())).isEqualTo(TC_ACT_OK);
        dp.drainEvents();
        CtVal in = dp.ct(CtKey.of(ip("169.254.42.1"), ip(A4), 40000, BPORT, TCP, IN, EP_A)).orElseThrow();
        assertThat(in.peerIdentity()).isEqualTo(ID_A);
        assertThat(in.rule()).isEqualTo(3);

        // A's answer leaves A towards the hairpin address: restored and handed back to A
        r = dp.fromRun(a, frame(4, A4, "169.254.42.1", l4(TCP, BPORT, 40000, SYN | ACK)));
        assertThat(r.retval()).isEqualTo(TC_ACT_REDIRECT);
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple(F4, FPORT, A4, 40000));
        assertChecksums(r.dataOut());

        // the client's next packet takes the same way
        r = dp.fromRun(a, frame(4, A4, F4, l4(TCP, 40000, FPORT, ACK)));
        assertThat(Tuple.of(r.dataOut())).isEqualTo(tuple("169.254.42.1", 40000, A4, BPORT));
        assertThat(dp.packets(DropReason.PASS_SERVICE_REVNAT)).isEqualTo(1);
        assertThat(dp.packets(DropReason.PASS_SERVICE_DNAT)).isEqualTo(2);
    }

    @Test
    void spoofedHairpinSourceIsNotTheEndpoint() {
        EpInfo a = enforced(A, IN);
        dp.allow(PolKey.peer(EP_A, 0, IN, ID_A), 3);
        assertThat(dp.to(a, frame(4, "169.254.42.1", A4, l4(TCP, 40000, BPORT, SYN)))).isEqualTo(TC_ACT_SHOT);
    }
}
