package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.Map;

import dev.weir.datapath.DropReason;

import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** Conntrack through BPF_PROG_TEST_RUN: replies, established hits, TCP states and lifetimes, expiry, a full table. */
class EndpointConntrackTest extends EndpointTestBase {

    /** Recognisable lifetimes: 11 s SYN, 22 s established, 3 s closing, 44 s other. */
    static final EpCfg CFG = new EpCfg(sec(11), sec(22), sec(3), sec(44), 0);
    static final long SLACK = sec(2);

    static long sec(long s) {
        return Duration.ofSeconds(s).toNanos();
    }

    /** B ingress-enforced allowing A on TCP/80, egress-enforced allowing nothing. */
    EpInfo lockedB() {
        dp.allow(bIngressTcp4(ID_A, 80), 9);
        return enforced(B, IN, OUT);
    }

    static byte[] tcp4(String src, String dst, int sport, int dport, int flags) {
        return ipv4(src, dst, tcpFlags(sport, dport, flags)).eth();
    }

    /** Seconds of life left in an entry. */
    static long left(CtVal v) {
        return v.expiresNs() - System.nanoTime();
    }

    @Test
    void replyPassesTheOtherHookWithoutPolicy() {
        EpInfo b = lockedB();
        assertThat(dp.to(b, tcp4(A4, B4, 40000, 80, SYN))).isEqualTo(TC_ACT_OK);
        dp.drainEvents();
        // B's egress allows nothing, but the SYN-ACK is a reply
        assertThat(dp.from(b, tcp4(B4, A4, 80, 40000, SYN | ACK))).isEqualTo(TC_ACT_OK);
        // a new connection from B is judged by its egress policy
        assertThat(dp.from(b, tcp4(B4, A4, 80, 40001, SYN))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_POLICY, 1L, DropReason.PASS_REPLY, 1L,
                DropReason.DROP_POLICY, 1L));
        // only the drop is reported (no traces configured)
        FlowEvent e = dp.onlyEvent();
        assertThat(e.reason()).isEqualTo(DropReason.DROP_POLICY.code());
        // the reply counted in the ingress entry, no egress entry was made
        CtVal v = dp.ct(CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(v.packetsRev()).isEqualTo(1);
        assertThat(dp.ct.count()).isEqualTo(1);
    }

    @Test
    void repliesOfEgressConnectionsAndOtherEndpointsEntries() {
        EpInfo a = enforced(A, IN, OUT);
        dp.allow(PolKey.proto(EP_A, 0, OUT, ID_B, 6, UDP), 1);
        byte[] q = ipv6(A6, B6, udp(5000, 53)).eth();
        assertThat(dp.from(a, q)).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(a, ipv6(B6, A6, udp(53, 5000)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_REPLY)).isEqualTo(1);
        // the same reply at another endpoint is not a reply there (entries are per endpoint)
        EpInfo c = new EpInfo(30, ID_C, EpInfo.INGRESS_ENFORCED, 0);
        assertThat(dp.to(c, ipv6(B6, A6, udp(53, 5000)).eth())).isEqualTo(TC_ACT_SHOT);
        // nor is a packet in the same direction as the opening one
        assertThat(dp.to(a, ipv6(A6, B6, udp(5000, 53)).eth())).isEqualTo(TC_ACT_SHOT);
    }

    @Test
    void establishedForwardHit() {
        EpInfo b = lockedB();
        byte[] syn = tcp4(A4, B4, 40000, 80, SYN);
        byte[] ack = tcp4(A4, B4, 40000, 80, ACK);
        dp.to(b, syn);
        dp.from(b, tcp4(B4, A4, 80, 40000, SYN | ACK));
        assertThat(dp.to(b, ack)).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, tcpFlags(40000, 80, PSH | ACK, 100)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_ESTABLISHED)).isEqualTo(2);
        // policy was asked once
        assertThat(dp.entry(bIngressTcp4(ID_A, 80)).packets()).isEqualTo(1);
        assertThat(dp.drainEvents()).hasSize(1);
        CtVal v = dp.ct(CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(v.packetsFwd()).isEqualTo(3);
        assertThat(v.bytesFwd()).isEqualTo(syn.length + ack.length + ack.length + 100);
    }

    @Test
    void tcpStatesAndLifetimes() {
        dp.cfg.put(0, CFG);
        EpInfo b = lockedB();
        CtKey k = CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B);

        dp.to(b, tcp4(A4, B4, 40000, 80, SYN));
        CtVal v = dp.ct(k).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.SYN_SENT);
        assertThat(v.expiresNs() - v.createdNs()).isEqualTo(sec(11));

        dp.from(b, tcp4(B4, A4, 80, 40000, SYN | ACK));
        v = dp.ct(k).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.SYN_SENT);
        assertThat(left(v)).isCloseTo(sec(11), within(SLACK));

        dp.to(b, tcp4(A4, B4, 40000, 80, ACK));
        v = dp.ct(k).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.ESTABLISHED);
        assertThat(left(v)).isCloseTo(sec(22), within(SLACK));

        dp.from(b, tcp4(B4, A4, 80, 40000, FIN | ACK));
        v = dp.ct(k).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.CLOSING);
        assertThat(left(v)).isCloseTo(sec(3), within(SLACK));

        // closing stays closing
        dp.to(b, tcp4(A4, B4, 40000, 80, ACK));
        v = dp.ct(k).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.CLOSING);
        assertThat(v.packetsFwd()).isEqualTo(3);
        assertThat(v.packetsRev()).isEqualTo(2);
        assertThat(v.tcpFlagsSeen()).isEqualTo(SYN | ACK | FIN);
        assertThat(v.peerIdentity()).isEqualTo(ID_A);
    }

    @Test
    void rstClosesAndNonTcpUsesTheOtherLifetime() {
        dp.cfg.put(0, CFG);
        dp.to(B, tcp4(A4, B4, 1, 80, SYN));
        dp.from(B, tcp4(B4, A4, 80, 1, RST | ACK));
        CtVal v = dp.ct(CtKey.of(ip(A4), ip(B4), 1, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.CLOSING);
        assertThat(left(v)).isCloseTo(sec(3), within(SLACK));

        dp.to(B, ipv4(A4, B4, udp(1, 53)).eth());
        v = dp.ct(CtKey.of(ip(A4), ip(B4), 1, 53, UDP, IN, EP_B)).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.NONE);
        assertThat(v.expiresNs() - v.createdNs()).isEqualTo(sec(44));
    }

    @Test
    void defaultLifetimesWhenTheConfigIsZero() {
        dp.to(B, tcp4(A4, B4, 1, 80, SYN));
        CtVal v = dp.ct(CtKey.of(ip(A4), ip(B4), 1, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(v.expiresNs() - v.createdNs()).isEqualTo(EpCfg.DEFAULTS.ctSynNs());
        dp.to(B, tcp4(A4, B4, 1, 80, ACK));
        v = dp.ct(CtKey.of(ip(A4), ip(B4), 1, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(left(v)).isCloseTo(EpCfg.DEFAULTS.ctEstablishedNs(), within(SLACK));
    }

    @Test
    void midStreamPacketIsANewConnection() {
        EpInfo b = lockedB();
        assertThat(dp.to(b, tcp4(A4, B4, 40000, 80, ACK))).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_POLICY)).isEqualTo(1);
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B)).orElseThrow().state())
                .isEqualTo(CtVal.ESTABLISHED);
        assertThat(dp.to(b, tcp4(C4, B4, 40000, 80, ACK))).isEqualTo(TC_ACT_SHOT);
    }

    @Test
    void expiredEntriesAreNew() {
        dp.cfg.put(0, new EpCfg(0, 0, 0, 1, 0)); // non-TCP entries live 1 ns
        EpInfo b = enforced(B, IN);
        PolKey k = PolKey.proto(EP_B, 0, IN, ID_A, 4, UDP);
        dp.allow(k, 1);
        assertThat(dp.to(b, ipv4(A4, B4, udp(1, 53)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, udp(1, 53)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_POLICY)).isEqualTo(2);
        assertThat(dp.packets(DropReason.PASS_ESTABLISHED)).isZero();
        assertThat(dp.entry(k).packets()).isEqualTo(2);
        assertThat(dp.drainEvents()).hasSize(2);
        // an expired entry does not make a reply either: B's egress is enforced
        EpInfo b2 = enforced(b, OUT);
        assertThat(dp.from(b2, ipv4(B4, A4, udp(53, 1)).eth())).isEqualTo(TC_ACT_SHOT);

        // an entry the agent left behind, expired: overwritten, policy decides
        CtKey old = CtKey.of(ip(A4), ip(B4), 7, 80, TCP, IN, EP_B);
        dp.ct.put(old, new CtVal(1, 1, 99, 99, 99, 99, ID_C, 123, CtVal.ESTABLISHED, 0, 0, 0, 0, 0));
        dp.allow(bIngressTcp4(ID_A, 80), 2);
        assertThat(dp.to(b, tcp4(A4, B4, 7, 80, SYN))).isEqualTo(TC_ACT_OK);
        CtVal v = dp.ct(old).orElseThrow();
        assertThat(v.packetsFwd()).isEqualTo(1);
        assertThat(v.rule()).isEqualTo(2);
        assertThat(v.peerIdentity()).isEqualTo(ID_A);
        assertThat(v.state()).isEqualTo(CtVal.SYN_SENT);
    }

    @Test
    void synOnAClosingConnectionIsJudgedAgain() {
        EpInfo b = lockedB();
        dp.to(b, tcp4(A4, B4, 40000, 80, SYN));
        dp.to(b, tcp4(A4, B4, 40000, 80, FIN | ACK));
        CtKey k = CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B);
        assertThat(dp.ct(k).orElseThrow().state()).isEqualTo(CtVal.CLOSING);
        assertThat(dp.to(b, tcp4(A4, B4, 40000, 80, SYN))).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_POLICY)).isEqualTo(2);
        CtVal v = dp.ct(k).orElseThrow();
        assertThat(v.state()).isEqualTo(CtVal.SYN_SENT);
        assertThat(v.packetsFwd()).isEqualTo(1);
        // with the allow gone, the port reuse is dropped
        dp.to(b, tcp4(A4, B4, 40000, 80, RST));
        dp.pol.delete(bIngressTcp4(ID_A, 80));
        assertThat(dp.to(b, tcp4(A4, B4, 40000, 80, SYN))).isEqualTo(TC_ACT_SHOT);
    }

    @Test
    void icmpEcho() {
        EpInfo b = enforced(B, IN, OUT);
        dp.allow(PolKey.proto(EP_B, 0, IN, ID_A, 4, ICMP), 1);
        dp.allow(PolKey.proto(EP_B, 0, IN, ID_A, 6, ICMPV6), 2);
        assertThat(dp.to(b, ipv4(A4, B4, icmp4Echo(8, 0x1234)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 0x1234, 0, ICMP, IN, EP_B))).isPresent();
        assertThat(dp.from(b, ipv4(B4, A4, icmp4Echo(0, 0x1234)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.from(b, ipv4(B4, A4, icmp4Echo(0, 0x1235)).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, ipv6(A6, B6, icmp6Echo(128, 7)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.from(b, ipv6(B6, A6, icmp6Echo(129, 7)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_REPLY)).isEqualTo(2);
        // B pinging out is its egress policy's business
        assertThat(dp.from(b, ipv4(B4, A4, icmp4Echo(8, 1)).eth())).isEqualTo(TC_ACT_SHOT);
        FlowEvent last = dp.drainEvents().getLast();
        assertThat(last.sport()).isEqualTo(1);
        assertThat(last.dport()).isZero();
    }
}
