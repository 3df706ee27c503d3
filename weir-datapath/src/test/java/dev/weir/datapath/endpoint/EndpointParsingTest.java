package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;

import dev.weir.datapath.DropReason;

import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** What the endpoint programs parse: no endpoint, non-IP, NDP, options and extension headers, fragments, malformed frames. */
class EndpointParsingTest extends EndpointTestBase {

    /** B with both directions enforced and nothing allowed but A to TCP/80 (v4 and v6). */
    EpInfo lockedB() {
        dp.allow(bIngressTcp4(ID_A, 80), 1);
        dp.allow(PolKey.port(EP_B, 0, IN, ID_A, 6, TCP, 80), 2);
        return enforced(B, IN, OUT);
    }

    @Test
    void noEndpointPasses() {
        assertThat(dp.run(dp.toEp, ipv4(A4, B4, udp(1, 2)).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.run(dp.fromEp, new byte[20])).isEqualTo(TC_ACT_OK);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_NO_ENDPOINT, 2L));
        assertThat(dp.drainEvents()).isEmpty();
        assertThat(dp.ct.count()).isZero();
    }

    @Test
    void nonIpAndNeighbourDiscoveryPassEnforcedEndpoints() {
        EpInfo b = lockedB();
        assertThat(dp.to(b, arp())).isEqualTo(TC_ACT_OK);
        assertThat(dp.from(b, arp())).isEqualTo(TC_ACT_OK);
        for (int type = 133; type <= 137; type++) {
            assertThat(dp.to(b, ipv6("fe80::1", B6, icmp6(type)).eth())).isEqualTo(TC_ACT_OK);
        }
        assertThat(dp.from(b, ipv6("fe80::2", "ff02::1", icmp6(135)).eth())).isEqualTo(TC_ACT_OK);
        // other ICMPv6 is policy's business
        assertThat(dp.to(b, ipv6(C6, B6, icmp6(1)).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_NOT_IP, 2L, DropReason.PASS_NDP, 6L,
                DropReason.DROP_POLICY, 1L));
        assertThat(dp.ct.count()).isZero();
    }

    @Test
    void optionsExtensionHeadersAndVlanTags() {
        EpInfo b = lockedB();
        assertThat(dp.to(b, ipv4(A4, B4, tcpFlags(1, 80, SYN)).options(new byte[] {1, 1, 1, 1, 1, 1, 1, 1}).eth()))
                .isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, tcpFlags(2, 81, SYN)).options(new byte[] {1, 1, 1, 1}).eth()))
                .isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, ipv6(A6, B6, tcpFlags(3, 80, SYN)).ext(HOPOPTS, 8).ext(ROUTING, 24).ext(DSTOPTS, 16)
                .ext(AH, 16).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, vlan(ipv4(A4, B4, tcpFlags(4, 80, SYN)).build(), 7))).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, qinq(ipv6(A6, B6, tcpFlags(5, 80, SYN)).build(), 7, 8))).isEqualTo(TC_ACT_OK);
        assertThat(dp.packets(DropReason.PASS_POLICY)).isEqualTo(4);
        assertThat(dp.ct(CtKey.of(ip(A6), ip(B6), 3, 80, TCP, IN, EP_B))).isPresent();
    }

    @Test
    void fragmentsFollowTheFirst() {
        EpInfo b = lockedB();
        // allowed first fragment, then its later fragments
        assertThat(dp.to(b, ipv4(A4, B4, tcpFlags(1, 80, SYN, 16)).fragment(77, 0, true).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, raw(TCP, 16)).fragment(77, 5, true).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv4(A4, B4, raw(TCP, 8)).fragment(77, 7, false).eth())).isEqualTo(TC_ACT_OK);
        // denied first fragment: the rest is dropped for the same reason
        assertThat(dp.to(b, ipv4(A4, B4, tcpFlags(1, 81, SYN, 16)).fragment(78, 0, true).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.to(b, ipv4(A4, B4, raw(TCP, 16)).fragment(78, 5, false).eth())).isEqualTo(TC_ACT_SHOT);
        // a later fragment without its first
        assertThat(dp.to(b, ipv4(A4, B4, raw(TCP, 16)).fragment(79, 5, false).eth())).isEqualTo(TC_ACT_SHOT);
        // IPv6: first fragment allowed, then a later one; the same id at the other hook is unknown
        assertThat(dp.to(b, ipv6(A6, B6, tcpFlags(1, 80, SYN, 16)).fragment(5, 0, true).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.to(b, ipv6(A6, B6, raw(TCP, 16)).fragment(5, 5, false).eth())).isEqualTo(TC_ACT_OK);
        assertThat(dp.from(b, ipv6(A6, B6, raw(TCP, 16)).fragment(5, 5, false).eth())).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.verdicts()).isEqualTo(Map.of(DropReason.PASS_POLICY, 2L, DropReason.PASS_FRAGMENT, 3L,
                DropReason.DROP_POLICY, 2L, DropReason.DROP_FRAG_NOT_FOUND, 2L));
        // the replies' fragments follow a reply
        assertThat(dp.from(b, ipv4(B4, A4, tcpFlags(80, 1, SYN | ACK, 16)).fragment(90, 0, true).eth()))
                .isEqualTo(TC_ACT_OK);
        assertThat(dp.from(b, ipv4(B4, A4, raw(TCP, 8)).fragment(90, 5, false).eth())).isEqualTo(TC_ACT_OK);
        FlowEvent last = null;
        dp.cfg.put(0, EpCfg.DEFAULTS.withTraceEvery(1));
        dp.from(b, ipv4(B4, A4, raw(TCP, 8)).fragment(90, 6, false).eth());
        last = dp.drainEvents().getLast();
        assertThat(last.isReply()).isTrue();
        assertThat(last.verdict()).isEqualTo(FlowEvent.TRACED);
        assertThat(last.reason()).isEqualTo(DropReason.PASS_FRAGMENT.code());
    }

    @Test
    void malformedFramesDropWithTheirReason() {
        EpInfo b = B;
        byte[] v4 = ipv4(A4, B4, tcpFlags(1, 80, SYN)).eth();
        byte[] v6 = ipv6(A6, B6, tcpFlags(1, 80, SYN)).eth();
        // BPF_PROG_TEST_RUN refuses (EINVAL) an untagged IPv4/IPv6 frame shorter than the IP header,
        // and any frame shorter than an Ethernet header (so DROP_ETH_TRUNC cannot be sent); behind a
        // VLAN tag the kernel does not look
        expectDrop(b, Arrays.copyOf(vlan(ipv4(A4, B4, udp(1, 2)).build(), 5), 18 + 10), DropReason.DROP_IP4_TRUNC);
        expectDrop(b, Arrays.copyOf(vlan(ipv6(A6, B6, udp(1, 2)).build(), 5), 18 + 30), DropReason.DROP_IP6_TRUNC);
        byte[] badVersion = v4.clone();
        badVersion[14] = 0x55;
        expectDrop(b, badVersion, DropReason.DROP_IP4_HDR);
        byte[] shortIhl = v4.clone();
        shortIhl[14] = 0x44;
        expectDrop(b, shortIhl, DropReason.DROP_IP4_IHL);
        byte[] longTotLen = v4.clone();
        longTotLen[16] = 0x10;
        expectDrop(b, longTotLen, DropReason.DROP_IP4_HDR);
        expectDrop(b, Arrays.copyOf(v4, v4.length - 4), DropReason.DROP_IP4_HDR); // tot_len beyond the frame
        expectDrop(b, ipv4(A4, B4, tcpRaw(1, 80, 5, 12)).eth(), DropReason.DROP_L4_TRUNC);
        expectDrop(b, ipv4(A4, B4, tcpRaw(1, 80, 8, 20)).eth(), DropReason.DROP_L4_TRUNC); // doff beyond the datagram
        expectDrop(b, ipv4(A4, B4, tcpRaw(1, 80, 4, 20)).eth(), DropReason.DROP_L4_TRUNC); // doff < 5
        expectDrop(b, ipv4(A4, B4, raw(UDP, 6)).eth(), DropReason.DROP_L4_TRUNC);
        expectDrop(b, ipv4(A4, B4, new L4(ICMP, new byte[] {8, 0, 0, 0, 0, 1})).eth(), DropReason.DROP_L4_TRUNC); // echo without id+seq
        expectDrop(b, ipv4(A4, B4, new L4(ICMP, new byte[] {3, 1, 0})).eth(), DropReason.DROP_L4_TRUNC); // not even a header
        byte[] v6Version = v6.clone();
        v6Version[14] = 0x40;
        expectDrop(b, v6Version, DropReason.DROP_IP6_HDR);
        expectDrop(b, Arrays.copyOf(v6, v6.length - 1), DropReason.DROP_IP6_HDR);
        V6 deep = ipv6(A6, B6, udp(1, 2));
        for (int i = 0; i < 9; i++) {
            deep.ext(DSTOPTS, 8);
        }
        expectDrop(b, deep.eth(), DropReason.DROP_IP6_EXT_DEPTH);
        byte[] badExt = ipv6(A6, B6, udp(1, 2)).ext(HOPOPTS, 8).eth();
        badExt[14 + 40 + 1] = 10; // hop-by-hop header claims 88 bytes
        expectDrop(b, badExt, DropReason.DROP_IP6_EXT);
        expectDrop(b, eth(ipv4(A4, B4, udp(1, 2)).build(), 0x8100, 1, 0x8100, 2, 0x8100, 3), DropReason.DROP_VLAN_DEPTH);
        expectDrop(b, Arrays.copyOf(vlan(ipv4(A4, B4, udp(1, 2)).build(), 5), 17), DropReason.DROP_VLAN_TRUNC);
        assertThat(dp.ct.count()).isZero();
    }

    void expectDrop(EpInfo ep, byte[] frame, DropReason reason) {
        long before = dp.packets(reason);
        assertThat(dp.to(ep, frame)).as(reason.name()).isEqualTo(TC_ACT_SHOT);
        assertThat(dp.packets(reason)).as(reason.name()).isEqualTo(before + 1);
        FlowEvent e = dp.onlyEvent();
        assertThat(e.verdict()).isEqualTo(FlowEvent.DROPPED);
        assertThat(e.reason()).isEqualTo(reason.code());
        assertThat(e.epId()).isEqualTo(ep.epId());
        assertThat(e.len()).isEqualTo(frame.length);
    }
}
