package dev.weir.datapath.prefilter;

import static dev.weir.testkit.Frames.*;
import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.datapath.prefilter.Slots.Side.NONE;
import static dev.weir.datapath.prefilter.Slots.Side.SRC;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.weir.datapath.DropReason;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** Header parsing through BPF_PROG_TEST_RUN: VLANs, IPv4 options, IPv6 extension headers, fragments, garbage. */
class PrefilterParsingTest {

    Prefilter pf;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
        // deny TCP/22 (rule 1), deny source 10.66.0.0/16 and 2001:db8:66::/48 (rule 2), deny GRE (rule 3)
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).deny(1, SRC, false, 2).deny(2, NONE, true, 3).build());
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 22), 1L);
        pf.src4.get(0).put(PrefilterRulesTest.v4("10.66.0.0/16"), PfPrefixValue.of(2));
        pf.src6.get(0).put(PrefilterRulesTest.v6("2001:db8:66::/48"), PfPrefixValue.of(2));
        pf.proto.get(0).put(47, 4L);
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    void expect(byte[] pkt, int verdict, DropReason reason) {
        long before = pf.packets(reason);
        assertThat(pf.run(pkt)).as("verdict").isEqualTo(verdict);
        assertThat(pf.packets(reason)).as("count of %s", reason).isEqualTo(before + 1);
    }

    @Test
    void vlanAndQinq() {
        L3 ssh = ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22)).build();
        L3 web6 = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 80)).build();
        expect(vlan(ssh, 100), XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(qinq(ssh, 10, 20), XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(eth(ssh, TPID_8021Q, 1, TPID_8021Q, 2), XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(vlan(web6, 100), XDP_PASS, DropReason.PASS);
        expect(qinq(web6, 10, 20), XDP_PASS, DropReason.PASS);
        expect(eth(web6, TPID_8021AD, 1, TPID_8021Q, 2, TPID_8021Q, 3), XDP_DROP, DropReason.DROP_VLAN_DEPTH);
        expect(Arrays.copyOf(qinq(web6, 10, 20), 16), XDP_DROP, DropReason.DROP_VLAN_TRUNC);
        expect(Arrays.copyOf(qinq(web6, 10, 20), 20), XDP_DROP, DropReason.DROP_VLAN_TRUNC);
        expect(eth(new L3(ETH_P_ARP, new byte[28]), TPID_8021Q, 5), XDP_PASS, DropReason.PASS_NOT_IP);
    }

    @Test
    void ipv4Options() {
        for (int words = 1; words <= 10; words++) {
            byte[] opts = new byte[words * 4];
            Arrays.fill(opts, (byte) 1); // NOP
            expect(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22)).options(opts).eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
            expect(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 23)).options(opts).eth(), XDP_PASS, DropReason.PASS);
        }
        byte[] ok = ipv4("10.0.0.1", "10.0.0.2", tcp(1, 23)).options(new byte[8]).eth();
        byte[] ihl4 = ok.clone();
        ihl4[14] = 0x44;
        expect(ihl4, XDP_DROP, DropReason.DROP_IP4_IHL);
        byte[] ihl15 = ok.clone();
        ihl15[14] = 0x4f; // 60 bytes of header, but the datagram is 48
        expect(Arrays.copyOf(ihl15, 14 + 50), XDP_DROP, DropReason.DROP_IP4_IHL);
        byte[] v5 = ok.clone();
        v5[14] = 0x57;
        expect(v5, XDP_DROP, DropReason.DROP_IP4_HDR);
        byte[] longTot = ok.clone();
        longTot[17] += 1; // tot_len one past the frame
        expect(longTot, XDP_DROP, DropReason.DROP_IP4_HDR);
        byte[] shortTot = ok.clone();
        shortTot[16] = 0;
        shortTot[17] = 20; // shorter than the header with options
        expect(shortTot, XDP_DROP, DropReason.DROP_IP4_HDR);
        byte[] padded = Arrays.copyOf(ok, ok.length + 10); // Ethernet padding after tot_len is fine
        expect(padded, XDP_PASS, DropReason.PASS);
        byte[] l4short = ok.clone();
        l4short[17] -= 1; // tot_len ends inside the TCP header
        expect(l4short, XDP_DROP, DropReason.DROP_L4_TRUNC);
    }

    @Test
    void ipv6ExtensionHeaders() {
        V6 chain = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22))
                .ext(HOPOPTS, 8).ext(DSTOPTS, 16).ext(ROUTING, 24).ext(AH, 24).ext(DSTOPTS, 8);
        expect(chain.eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(ipv6("2001:db8::1", "2001:db8::2", tcp(1, 23)).ext(HOPOPTS, 8).ext(AH, 16).eth(), XDP_PASS, DropReason.PASS);

        V6 eight = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22));
        V6 nine = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22));
        for (int i = 0; i < 8; i++) {
            eight.ext(DSTOPTS, 8);
            nine.ext(DSTOPTS, 8);
        }
        nine.ext(DSTOPTS, 8);
        expect(eight.eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(nine.eth(), XDP_DROP, DropReason.DROP_IP6_EXT_DEPTH);

        byte[] full = chain.eth();
        expect(Arrays.copyOf(full, 14 + 40 + 8 + 4), XDP_DROP, DropReason.DROP_IP6_HDR);
        byte[] extLong = full.clone();
        extLong[14 + 40 + 8 + 1] = 100; // dstopts claims 808 bytes
        expect(extLong, XDP_DROP, DropReason.DROP_IP6_EXT);
        byte[] badVersion = full.clone();
        badVersion[14] = 0x40;
        expect(badVersion, XDP_DROP, DropReason.DROP_IP6_HDR);
        // the chain is fine but payload_len stops inside it
        byte[] shortPayload = ipv6("2001:db8::1", "2001:db8::2", new L4(59, new byte[0])).ext(HOPOPTS, 16).eth();
        shortPayload[14 + 5] = 8;
        expect(Arrays.copyOf(shortPayload, shortPayload.length), XDP_DROP, DropReason.DROP_IP6_EXT);
        // no next header: passes, no ports
        expect(ipv6("2001:db8::1", "2001:db8::2", new L4(59, new byte[0])).ext(HOPOPTS, 8).eth(), XDP_PASS, DropReason.PASS);
        // rule by source still applies through extension headers
        expect(ipv6("2001:db8:66::1", "2001:db8::2", udp(1, 2)).ext(ROUTING, 8).eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
    }

    @Test
    void ipv4FragmentsFollowTheirFirst() {
        byte[] first = ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22, 16)).fragment(77, 0, true).eth();
        byte[] middle = ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 24)).fragment(77, 5, true).eth();
        byte[] last = ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 8)).fragment(77, 8, false).eth();
        expect(first, XDP_DROP, DropReason.DROP_DENY_RULE);
        assertThat(pf.frag.lookup(PfFragKey.of(ip("10.0.0.1"), ip("10.0.0.2"), 77, TCP)))
                .contains(new PfFragVal(DropReason.DROP_DENY_RULE.code(), 1));
        expect(middle, XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(last, XDP_DROP, DropReason.DROP_DENY_RULE);
        assertThat(pf.hits(1)).isEqualTo(3);

        byte[] okFirst = ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80, 16)).fragment(78, 0, true).eth();
        byte[] okLast = ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 8)).fragment(78, 5, false).eth();
        expect(okFirst, XDP_PASS, DropReason.PASS);
        expect(okLast, XDP_PASS, DropReason.PASS_FRAGMENT);

        // unknown later fragment: no port, so the TCP/22 rule cannot match; a source rule can
        expect(ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 8)).fragment(79, 5, false).eth(), XDP_PASS, DropReason.PASS);
        expect(ipv4("10.66.0.1", "10.0.0.2", raw(TCP, 8)).fragment(79, 5, false).eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
        expect(ipv4("10.0.0.1", "10.0.0.2", raw(47, 8)).fragment(80, 5, false).eth(), XDP_DROP, DropReason.DROP_DENY_RULE);

        // a first fragment too short for its TCP header is dropped, and its followers with it
        expect(ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 8)).fragment(81, 0, true).eth(), XDP_DROP, DropReason.DROP_L4_TRUNC);
        expect(ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 8)).fragment(81, 1, false).eth(), XDP_DROP, DropReason.DROP_L4_TRUNC);
    }

    @Test
    void ipv6FragmentsFollowTheirFirst() {
        byte[] first = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22, 16)).ext(HOPOPTS, 8).fragment(0xabcdef01, 0, true).eth();
        byte[] later = ipv6("2001:db8::1", "2001:db8::2", raw(TCP, 16)).ext(HOPOPTS, 8).fragment(0xabcdef01, 5, false).eth();
        expect(first, XDP_DROP, DropReason.DROP_DENY_RULE);
        assertThat(pf.frag.lookup(PfFragKey.of(ip("2001:db8::1"), ip("2001:db8::2"), 0xabcdef01, TCP)))
                .contains(new PfFragVal(DropReason.DROP_DENY_RULE.code(), 1));
        expect(later, XDP_DROP, DropReason.DROP_DENY_RULE);

        byte[] okFirst = ipv6("2001:db8::1", "2001:db8::2", udp(1, 53, 32)).fragment(5, 0, true).eth();
        byte[] okLater = ipv6("2001:db8::1", "2001:db8::2", raw(UDP, 16)).fragment(5, 5, false).eth();
        expect(okFirst, XDP_PASS, DropReason.PASS);
        expect(okLater, XDP_PASS, DropReason.PASS_FRAGMENT);

        expect(ipv6("2001:db8::1", "2001:db8::2", raw(TCP, 16)).fragment(6, 5, false).eth(), XDP_PASS, DropReason.PASS);
        expect(ipv6("2001:db8:66::1", "2001:db8::2", raw(TCP, 16)).fragment(6, 5, false).eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
        // an atomic fragment (offset 0, no M) is a whole packet and its port counts
        expect(ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22)).fragment(7, 0, false).eth(), XDP_DROP, DropReason.DROP_DENY_RULE);
        assertThat(pf.frag.lookup(PfFragKey.of(ip("2001:db8::1"), ip("2001:db8::2"), 7, TCP))).isEmpty();
        // two fragment headers are invalid
        expect(ipv6("2001:db8::1", "2001:db8::2", tcp(1, 80)).fragment(8, 0, true).fragment(8, 0, true).eth(), XDP_DROP, DropReason.DROP_IP6_EXT);
    }

    @Test
    void everyTruncationOfTcpOverIpv6() {
        byte[] full = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 80, 4)).ext(HOPOPTS, 8).eth();
        assertThat(pf.run(full)).isEqualTo(XDP_PASS);
        // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header (EINVAL), so cuts start at 14
        for (int n = 14; n < full.length; n++) {
            DropReason want = n < 54 ? DropReason.DROP_IP6_TRUNC : DropReason.DROP_IP6_HDR;
            expect(Arrays.copyOf(full, n), XDP_DROP, want);
        }
        // with payload_len fitted to each cut, the extension header and then TCP header are what is short
        for (int n = 54; n < full.length - 4; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            cut[18] = (byte) ((n - 54) >> 8);
            cut[19] = (byte) (n - 54);
            DropReason want = n < 62 ? DropReason.DROP_IP6_EXT : DropReason.DROP_L4_TRUNC;
            expect(cut, XDP_DROP, want);
        }
    }

    @Test
    void everyTruncationOfTcpOverIpv4() {
        byte[] full = ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).options(new byte[4]).eth();
        for (int n = 14; n < full.length; n++) {
            DropReason want = n < 34 ? DropReason.DROP_IP4_TRUNC
                    : n < 38 ? DropReason.DROP_IP4_IHL : DropReason.DROP_IP4_HDR;
            expect(Arrays.copyOf(full, n), XDP_DROP, want);
        }
        for (int n = 38; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            cut[16] = (byte) ((n - 14) >> 8);
            cut[17] = (byte) (n - 14);
            expect(cut, XDP_DROP, DropReason.DROP_L4_TRUNC);
        }
        expect(full, XDP_PASS, DropReason.PASS);
    }

    @Test
    void shortUdpAndSctp() {
        expect(Arrays.copyOf(ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, 0)).eth(), 14 + 20 + 7), XDP_DROP, DropReason.DROP_IP4_HDR);
        byte[] udpShort = ipv4("10.0.0.1", "10.0.0.2", raw(UDP, 7)).eth();
        expect(udpShort, XDP_DROP, DropReason.DROP_L4_TRUNC);
        expect(ipv6("fd00::1", "fd00::2", raw(SCTP, 11)).eth(), XDP_DROP, DropReason.DROP_L4_TRUNC);
        expect(ipv6("fd00::1", "fd00::2", raw(SCTP, 12)).eth(), XDP_PASS, DropReason.PASS);
        byte[] badDoff = ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth();
        badDoff[14 + 20 + 12] = 0x40; // doff 4
        expect(badDoff, XDP_DROP, DropReason.DROP_L4_TRUNC);
        badDoff[14 + 20 + 12] = (byte) 0xf0; // doff 15: 60 bytes, not there
        expect(badDoff, XDP_DROP, DropReason.DROP_L4_TRUNC);
    }

    @Test
    void fuzzedPacketsAlwaysGetACountedVerdict() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).deny(1, SRC, false, 2).deny(2, NONE, true, 3)
                .allow(3, NONE, true, 4).rate(1_000_000_000, 1_000_000).build());
        pf.proto.get(0).put(UDP, 8L);
        List<byte[]> seeds = List.of(
                ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22)).eth(),
                ipv4("10.66.0.1", "10.0.0.2", udp(1, 53)).options(new byte[] {7, 7, 4, 0, 0, 0, 0}).eth(),
                ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80, 16)).fragment(9, 0, true).eth(),
                ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 16)).fragment(9, 3, false).eth(),
                vlan(ipv4("10.0.0.1", "10.0.0.2", sctp(1, 2)).build(), 7),
                qinq(ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22)).build(), 1, 2),
                ipv6("2001:db8:66::1", "2001:db8::2", udp(1, 53)).ext(HOPOPTS, 8).ext(ROUTING, 24).ext(AH, 16).eth(),
                ipv6("2001:db8::1", "2001:db8::2", tcp(1, 80, 32)).fragment(3, 0, true).eth(),
                ipv6("2001:db8::1", "2001:db8::2", raw(TCP, 32)).fragment(3, 4, false).eth(),
                ipv6("2001:db8::1", "2001:db8::2", icmp6()).ext(DSTOPTS, 8).eth(),
                arp());
        Random rnd = new Random(0x5eed_2026L);
        int n = 100_000;
        long drops = 0;
        long passes = 0;
        for (int i = 0; i < n; i++) {
            byte[] p = seeds.get(rnd.nextInt(seeds.size())).clone();
            switch (rnd.nextInt(4)) {
                case 0 -> p = Arrays.copyOf(p, rnd.nextInt(p.length + 1));
                case 1 -> {
                    for (int f = rnd.nextInt(8) + 1; f > 0; f--) {
                        int bit = rnd.nextInt(p.length * 8);
                        p[bit / 8] ^= (byte) (1 << (bit % 8));
                    }
                }
                case 2 -> {
                    // flip bits inside the headers only, where parsing decides
                    int limit = Math.min(p.length, 80);
                    for (int f = rnd.nextInt(4) + 1; f > 0; f--) {
                        p[rnd.nextInt(limit)] = (byte) rnd.nextInt(256);
                    }
                    p = Arrays.copyOf(p, Math.max(0, p.length - rnd.nextInt(16)));
                }
                default -> rnd.nextBytes(p);
            }
            if (p.length < 14) {
                p = Arrays.copyOf(p, 14); // test-run refuses shorter frames
            }
            int v = pf.run(p);
            assertThat(v).as("packet %d", i).isIn(XDP_PASS, XDP_DROP);
            if (v == XDP_DROP) {
                drops++;
            } else {
                passes++;
            }
        }
        long[] byCode = pf.packetsByCode();
        long verdicts = 0;
        long dropCount = 0;
        for (int code = 0; code < DropReason.MAX; code++) {
            if (byCode[code] != 0 && code < DropReason.FIRST_COUNTER) {
                DropReason r = DropReason.find(code).orElseThrow(() -> new AssertionError("unknown reason code counted"));
                verdicts += byCode[code];
                dropCount += r.isDrop() ? byCode[code] : 0;
            }
        }
        assertThat(verdicts).as("every packet counted once").isEqualTo(n);
        assertThat(dropCount).isEqualTo(drops);
        assertThat(verdicts - dropCount).isEqualTo(passes);
        Map<DropReason, Long> seen = pf.nonZeroStats();
        assertThat(seen).containsKeys(DropReason.DROP_DENY_RULE, DropReason.DROP_L4_TRUNC, DropReason.DROP_IP4_HDR,
                DropReason.DROP_IP6_HDR, DropReason.PASS, DropReason.PASS_NOT_IP);
    }
}
