package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import dev.weir.datapath.Mem;
import dev.weir.datapath.DropReason;

import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** Policy of new connections through BPF_PROG_TEST_RUN: the two lookups, longest match, deny wins, modes. */
class EndpointPolicyTest extends EndpointTestBase {

    static byte[] syn4(String src, String dst, int sport, int dport) {
        return ipv4(src, dst, tcpFlags(sport, dport, SYN)).eth();
    }

    @Test
    void notEnforcedPassesAndTracks() {
        byte[] f = syn4(A4, B4, 40000, 80);
        assertThat(dp.to(B, f)).isEqualTo(TC_ACT_OK);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS, 1L));
        CtVal ct = dp.ct(CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(ct.state()).isEqualTo(CtVal.SYN_SENT);
        assertThat(ct.peerIdentity()).isEqualTo(ID_A);
        assertThat(ct.packetsFwd()).isEqualTo(1);
        assertThat(ct.bytesFwd()).isEqualTo(f.length);
        FlowEvent e = dp.onlyEvent();
        assertThat(e.verdict()).isEqualTo(FlowEvent.FORWARDED);
        assertThat(e.reason()).isEqualTo(DropReason.PASS.code());
        assertThat(e.match()).isEqualTo(FlowEvent.MATCH_NONE);
        assertThat(e.srcIdentity()).isEqualTo(ID_A);
        assertThat(e.dstIdentity()).isEqualTo(ID_B);
        assertThat(e.dir()).isEqualTo(IN);
        assertThat(e.epId()).isEqualTo(EP_B);
        assertThat(e.ifindex()).isEqualTo(dp.ifindex);
        assertThat(e.tcpFlags()).isEqualTo(SYN);
        assertThat(e.sport()).isEqualTo(40000);
        assertThat(e.dport()).isEqualTo(80);
        assertThat(e.len()).isEqualTo(f.length);
        assertThat(e.family()).isEqualTo(4);
        assertThat(e.saddr()).isEqualTo(Mem.mapped(ip(A4)));
        assertThat(e.daddr()).isEqualTo(Mem.mapped(ip(B4)));
    }

    @Test
    void enforcedWithoutEntryDrops() {
        EpInfo b = enforced(B, IN);
        assertThat(dp.to(b, syn4(A4, B4, 40000, 80))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.DROP_POLICY, 1L));
        assertThat(dp.ct.count()).isZero();
        FlowEvent e = dp.onlyEvent();
        assertThat(e.verdict()).isEqualTo(FlowEvent.DROPPED);
        assertThat(e.reason()).isEqualTo(DropReason.DROP_POLICY.code());
        assertThat(e.rule()).isZero();
        assertThat(e.srcIdentity()).isEqualTo(ID_A);
        assertThat(e.dstIdentity()).isEqualTo(ID_B);
        // egress is not enforced: B's own connections still go out
        assertThat(dp.from(b, syn4(B4, A4, 40001, 80))).isEqualTo(TC_ACT_OK);
    }

    @Test
    void identityAndPortEntry() {
        EpInfo b = enforced(B, IN);
        PolKey k = bIngressTcp4(ID_A, 80);
        dp.allow(k, 7);
        byte[] ok = syn4(A4, B4, 40000, 80);
        assertThat(dp.to(b, ok)).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, syn4(A4, B4, 40000, 81))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, syn4(C4, B4, 40000, 80))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, ipv4(A4, B4, udp(40000, 80)).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_POLICY, 1L, DropReason.DROP_POLICY, 3L));
        assertThat(dp.entry(k).packets()).isEqualTo(1);
        assertThat(dp.entry(k).bytes()).isEqualTo(ok.length);
        FlowEvent e = dp.drainEvents().getFirst();
        assertThat(e.verdict()).isEqualTo(FlowEvent.FORWARDED);
        assertThat(e.reason()).isEqualTo(DropReason.PASS_POLICY.code());
        assertThat(e.rule()).isEqualTo(7);
        assertThat(e.match()).isEqualTo(FlowEvent.MATCH_L3_L4);
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 40000, 80, TCP, IN, EP_B)).orElseThrow().rule()).isEqualTo(7);
    }

    @Test
    void identityOnlyEntryAllowsEveryProtocol() {
        EpInfo b = enforced(B, IN);
        dp.allow(PolKey.peer(EP_B, 0, IN, ID_A), 3);
        assertThat(dp.to(b, syn4(A4, B4, 1, 2))).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, udp(5, 6)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv6(A6, B6, sctp(7, 8)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, icmp4Echo(8, 99)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, raw(47, 24)).eth())).isEqualTo(TC_ACT_OK); // GRE: no ports
        assertThat(dp.to(b, syn4(C4, B4, 1, 2))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.drainEvents()).first().satisfies(e -> assertThat(e.match()).isEqualTo(FlowEvent.MATCH_L3));
        assertThat(dp.entry(PolKey.peer(EP_B, 0, IN, ID_A)).packets()).isEqualTo(5);
    }

    @Test
    void anyPeerEntries() {
        EpInfo b = enforced(B, IN);
        dp.allow(PolKey.port(EP_B, 0, IN, 0, 4, UDP, 53), 11);
        assertThat(dp.to(b, ipv4(WORLD4, B4, udp(5353, 53)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(C4, B4, udp(5353, 53)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(C4, B4, udp(5353, 54)).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.drainEvents()).first().satisfies(e -> {
            assertThat(e.match()).isEqualTo(FlowEvent.MATCH_L4);
            assertThat(e.srcIdentity()).isEqualTo(EndpointMaps.ID_WORLD);
        });

        dp.allow(PolKey.peer(EP_B, 0, IN, 0), 12);
        assertThat(dp.to(b, ipv6(C6, B6, tcpFlags(1, 9999, SYN)).eth())).isEqualTo(TC_ACT_OK);
        FlowEvent e = dp.onlyEvent();
        assertThat(e.match()).isEqualTo(FlowEvent.MATCH_ALL);
        assertThat(e.rule()).isEqualTo(12);
    }

    @Test
    void portRangeAsPrefixBlocks() {
        EpInfo b = enforced(B, IN);
        // 8000..8100 as the fewest aligned blocks (the agent's PortBlocks.split): 8000/10, 8064/11, 8096/14, 8100/16
        int[][] blocks = {{8000, 10}, {8064, 11}, {8096, 14}, {8100, 16}};
        for (int[] block : blocks) {
            dp.allow(PolKey.portPrefix(EP_B, 0, IN, ID_A, 4, TCP, block[0], block[1]), 5);
        }
        int[] pass = {8000, 8001, 8050, 8063, 8064, 8099, 8100};
        int[] drop = {7999, 8101, 8128, 80};
        for (int p : pass) {
            assertThat(dp.to(b, syn4(A4, B4, 40000, p))).as("port %d", p).isEqualTo(TC_ACT_OK);
        }
        for (int p : drop) {
            assertThat(dp.to(b, syn4(A4, B4, 40000, p))).as("port %d", p).isEqualTo(TC_ACT_SHOT);
        }
    }

    @Test
    void familyEntries() {
        EpInfo b = enforced(B, IN);
        dp.allow(PolKey.family(EP_B, 0, IN, ID_A, 6), 1);
        assertThat(dp.to(b, ipv6(A6, B6, tcpFlags(1, 80, SYN)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, syn4(A4, B4, 1, 80))).isEqualTo(TC_ACT_SHOT);
        dp.allow(PolKey.proto(EP_B, 0, IN, ID_A, 4, UDP), 2);
        assertThat(dp.to(b, ipv4(A4, B4, udp(1, 80)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, syn4(A4, B4, 2, 80))).isEqualTo(TC_ACT_SHOT);
    }

    @Test
    void directionsAreSeparate() {
        EpInfo a = enforced(A, OUT);
        dp.allow(PolKey.port(EP_A, 0, OUT, ID_B, 4, TCP, 443), 21);
        // ingress entries of A do not open its egress
        dp.allow(PolKey.port(EP_A, 0, IN, ID_B, 4, TCP, 80), 22);
        assertThat(dp.from(a, syn4(A4, B4, 40000, 443))).isEqualTo(TC_ACT_OK);
        assertThat(dp.from(a, syn4(A4, B4, 40000, 80))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.from(a, syn4(A4, C4, 40000, 443))).isEqualTo(TC_ACT_SHOT);
        // egress-only enforcement leaves A's ingress open
        assertThat(dp.to(a, syn4(C4, A4, 40000, 9))).isEqualTo(TC_ACT_OK);
        FlowEvent first = dp.drainEvents().getFirst();
        assertThat(first.dir()).isEqualTo(OUT);
        assertThat(first.srcIdentity()).isEqualTo(ID_A);
        assertThat(first.dstIdentity()).isEqualTo(ID_B);
        assertThat(first.rule()).isEqualTo(21);
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 40000, 443, TCP, OUT, EP_A))).isPresent();
    }

    @Test
    void denyOfEitherLookupWins() {
        EpInfo b = enforced(B, IN);
        // deny peer A entirely (L3), allow anyone TCP/80 (L4, longer but in the other lookup)
        PolKey denyA = PolKey.peer(EP_B, 0, IN, ID_A);
        PolKey allow80 = PolKey.port(EP_B, 0, IN, 0, 4, TCP, 80);
        dp.deny(denyA, 31);
        dp.allow(allow80, 32);
        assertThat(dp.to(b, syn4(A4, B4, 1, 80))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, syn4(C4, B4, 1, 80))).isEqualTo(TC_ACT_OK);
        assertThat(dp.entry(denyA).packets()).isEqualTo(1);
        assertThat(dp.entry(allow80).packets()).isEqualTo(1);
        FlowEvent denied = dp.drainEvents().getFirst();
        assertThat(denied.reason()).isEqualTo(DropReason.DROP_POLICY_DENY.code());
        assertThat(denied.rule()).isEqualTo(31);
        assertThat(denied.match()).isEqualTo(FlowEvent.MATCH_L3);

        // the other way round: any peer denied port 22, A allowed everything
        dp.deny(PolKey.port(EP_B, 0, IN, 0, 4, TCP, 22), 33);
        dp.pol.delete(denyA);
        dp.allow(PolKey.peer(EP_B, 0, IN, ID_A), 34);
        assertThat(dp.to(b, syn4(A4, B4, 1, 22))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, syn4(A4, B4, 1, 23))).isEqualTo(TC_ACT_OK);
        assertThat(dp.verdicts()).containsEntry(DropReason.DROP_POLICY_DENY, 2L);
    }

    @Test
    void denyAppliesWithoutEnforcement() {
        dp.deny(PolKey.proto(EP_B, 0, IN, ID_A, 4, UDP), 41);
        assertThat(dp.to(B, ipv4(A4, B4, udp(1, 2)).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(B, syn4(A4, B4, 1, 2))).isEqualTo(TC_ACT_OK);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.DROP_POLICY_DENY, 1L, DropReason.PASS, 1L));
    }

    @Test
    void auditPassesWouldBeDrops() {
        EpInfo b = audited(enforced(B, IN), IN);
        assertThat(dp.to(b, syn4(A4, B4, 1, 80))).isEqualTo(TC_ACT_OK);
        FlowEvent e = dp.onlyEvent();
        assertThat(e.verdict()).isEqualTo(FlowEvent.AUDIT);
        assertThat(e.reason()).isEqualTo(DropReason.PASS_AUDIT.code());
        CtVal ct = dp.ct(CtKey.of(ip(A4), ip(B4), 1, 80, TCP, IN, EP_B)).orElseThrow();
        assertThat(ct.flags()).isEqualTo(CtVal.F_AUDIT);

        dp.deny(PolKey.peer(EP_B, 0, IN, ID_C), 51);
        assertThat(dp.to(b, syn4(C4, B4, 1, 80))).isEqualTo(TC_ACT_OK);
        FlowEvent d = dp.onlyEvent();
        assertThat(d.verdict()).isEqualTo(FlowEvent.AUDIT);
        assertThat(d.rule()).isEqualTo(51);

        // allowed traffic is plain PASS_POLICY, not audit
        dp.allow(bIngressTcp4(ID_A, 443), 52);
        assertThat(dp.to(b, syn4(A4, B4, 1, 443))).isEqualTo(TC_ACT_OK);
        assertThat(dp.onlyEvent().verdict()).isEqualTo(FlowEvent.FORWARDED);
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 1, 443, TCP, IN, EP_B)).orElseThrow().flags()).isZero();
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_AUDIT, 2L, DropReason.PASS_POLICY, 1L));
        // audit on ingress only: egress enforcement still drops
        EpInfo b2 = enforced(b, OUT);
        assertThat(dp.from(b2, syn4(B4, A4, 1, 80))).isEqualTo(TC_ACT_SHOT);
    }

    @Test
    void generationFlip() {
        EpInfo b0 = enforced(B, IN);
        dp.allow(PolKey.port(EP_B, 0, IN, ID_A, 4, TCP, 80), 60);
        dp.allow(PolKey.port(EP_B, 1, IN, ID_A, 4, TCP, 81), 61);
        assertThat(dp.to(b0, syn4(A4, B4, 1000, 80))).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b0, syn4(A4, B4, 1001, 81))).isEqualTo(TC_ACT_SHOT);

        EpInfo b1 = b0.withPolGen(1);
        assertThat(dp.to(b1, syn4(A4, B4, 1002, 81))).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b1, syn4(A4, B4, 1003, 80))).isEqualTo(TC_ACT_SHOT);
        // the connection opened under generation 0 keeps flowing
        assertThat(dp.to(b1, ipv4(A4, B4, tcpFlags(1000, 80, ACK)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_POLICY, 2L, DropReason.DROP_POLICY, 2L,
                DropReason.PASS_ESTABLISHED, 1L));
    }

    @Test
    void cidrAndWorldIdentities() {
        EpInfo b = enforced(B, IN);
        dp.allow(PolKey.peer(EP_B, 0, IN, ID_CIDR), 70);
        dp.allow(PolKey.proto(EP_B, 0, IN, EndpointMaps.ID_WORLD, 4, UDP), 71);
        assertThat(dp.to(b, syn4("10.1.2.3", B4, 1, 80))).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, syn4("10.2.2.3", B4, 1, 80))).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, ipv4("10.2.2.3", B4, udp(1, 80)).eth())).isEqualTo(TC_ACT_OK);
        var events = dp.drainEvents();
        assertThat(events).extracting(FlowEvent::srcIdentity)
                .containsExactly(ID_CIDR, EndpointMaps.ID_WORLD, EndpointMaps.ID_WORLD);
    }
}
