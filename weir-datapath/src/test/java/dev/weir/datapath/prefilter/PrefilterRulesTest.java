package dev.weir.datapath.prefilter;

import static dev.weir.datapath.prefilter.Packets.*;
import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.datapath.prefilter.Slots.Side.DST;
import static dev.weir.datapath.prefilter.Slots.Side.NONE;
import static dev.weir.datapath.prefilter.Slots.Side.SRC;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.util.List;
import java.util.Map;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.prefilter.PfPrefixValue.RulePair;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rule matching through BPF_PROG_TEST_RUN: every rule kind, both families, modes, precedence, generations. */
class PrefilterRulesTest {

    Prefilter pf;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    static PfLpm4Key v4(String cidr) {
        String[] p = cidr.split("/");
        return new PfLpm4Key(Integer.parseInt(p[1]), (Inet4Address) ip(p[0]));
    }

    static PfLpm6Key v6(String cidr) {
        String[] p = cidr.split("/");
        return PfLpm6Key.of(Integer.parseInt(p[1]), ip(p[0]));
    }

    static PfPrefixValue val(long slots, RulePair... pairs) {
        return new PfPrefixValue(slots, List.of(pairs));
    }

    void expect(byte[] pkt, int verdict) {
        assertThat(pf.run(pkt)).isEqualTo(verdict);
    }

    @Test
    void noRulesPassEverythingAndNonIpPassesAsSuch() {
        expect(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv6("2001:db8::1", "2001:db8::2", udp(1, 53)).eth(), XDP_PASS);
        expect(arp(), XDP_PASS);
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.PASS, 2L, DropReason.PASS_NOT_IP, 1L));
        assertThat(pf.stat(DropReason.PASS_NOT_IP).bytes()).isEqualTo(arp().length);
    }

    @Test
    void denySourcePrefixBothFamilies() {
        pf.cfg(0, new Slots().deny(0, SRC, false, 99).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(1, new RulePair(0, 7)));
        pf.src6.get(0).put(v6("2001:db8:bad::/48"), val(1, new RulePair(0, 8)));

        expect(ipv4("10.1.2.3", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("11.1.2.3", "192.0.2.1", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv4("192.0.2.1", "10.1.2.3", tcp(1, 80)).eth(), XDP_PASS); // only the source side
        expect(ipv6("2001:db8:bad::1", "2001:db8::2", icmp6()).eth(), XDP_DROP);
        expect(ipv6("2001:db8:bad:1::1", "2001:db8::2", icmp6()).eth(), XDP_DROP);
        expect(ipv6("2001:db8:bae::1", "2001:db8::2", icmp6()).eth(), XDP_PASS);
        // an IPv4 packet does not match the IPv6 trie, v4-mapped or not
        assertThat(pf.packets(DropReason.DROP_DENY_RULE)).isEqualTo(3);
        assertThat(pf.packets(DropReason.PASS)).isEqualTo(3);
        assertThat(pf.hits(7)).isEqualTo(1);
        assertThat(pf.hits(8)).isEqualTo(2);
        assertThat(pf.hits(99)).isZero();
    }

    @Test
    void hostAddressesMatchThroughTheHashBeforeTheTrie() throws Exception {
        pf.cfg(0, new Slots().deny(0, SRC, false, 99).deny(1, DST, false, 98).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(1, new RulePair(0, 7)));
        // a host entry carries the inherited slots itself, and wins over the trie
        pf.shost4.get(0).put(java.net.InetAddress.getByName("10.9.9.9").getAddress(), val(1, new RulePair(0, 11)));
        pf.shost4.get(0).put(java.net.InetAddress.getByName("192.0.2.9").getAddress(), val(1, new RulePair(0, 12)));
        pf.dhost6.get(0).put(java.net.InetAddress.getByName("2001:db8::9").getAddress(), val(2, new RulePair(1, 13)));

        expect(ipv4("10.9.9.9", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("10.1.1.1", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("192.0.2.9", "10.0.0.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("192.0.2.8", "10.0.0.1", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv6("2001:db8::1", "2001:db8::9", udp(1, 53)).eth(), XDP_DROP);
        expect(ipv6("2001:db8::9", "2001:db8::1", udp(1, 53)).eth(), XDP_PASS);
        assertThat(pf.hits(11)).isEqualTo(1);
        assertThat(pf.hits(7)).isEqualTo(1);
        assertThat(pf.hits(12)).isEqualTo(1);
        assertThat(pf.hits(13)).isEqualTo(1);
    }

    @Test
    void denyDestinationPrefixBothFamilies() {
        pf.cfg(0, new Slots().deny(3, DST, false, 30).build());
        pf.dst4.get(0).put(v4("203.0.113.0/28"), val(1L << 3));
        pf.dst6.get(0).put(v6("fd00:10:96::/112"), val(1L << 3));

        expect(ipv4("10.0.0.1", "203.0.113.5", udp(1, 53)).eth(), XDP_DROP);
        expect(ipv4("10.0.0.1", "203.0.113.16", udp(1, 53)).eth(), XDP_PASS);
        expect(ipv4("203.0.113.5", "10.0.0.1", udp(1, 53)).eth(), XDP_PASS);
        expect(ipv6("fd00::1", "fd00:10:96::ff", tcp(1, 443)).eth(), XDP_DROP);
        expect(ipv6("fd00::1", "fd00:10:96::1:0", tcp(1, 443)).eth(), XDP_PASS);
        assertThat(pf.hits(30)).as("slot_rule when the prefix names no rule").isEqualTo(2);
    }

    @Test
    void protocolOnly() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).build());
        pf.proto.get(0).put(ICMP, 1L);
        pf.proto.get(0).put(ICMPV6, 1L);

        expect(ipv4("10.0.0.1", "10.0.0.2", icmp4()).eth(), XDP_DROP);
        expect(ipv6("fd00::1", "fd00::2", icmp6()).eth(), XDP_DROP);
        expect(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv6("fd00::1", "fd00::2", udp(1, 80)).eth(), XDP_PASS);
        assertThat(pf.hits(1)).isEqualTo(2);
    }

    @Test
    void protocolAndPortPerClass() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).build());
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 22), 1L);
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_SCTP, 9899), 1L);

        expect(ipv4("10.0.0.1", "10.0.0.2", tcp(40000, 22)).eth(), XDP_DROP);
        expect(ipv6("fd00::1", "fd00::2", tcp(40000, 22)).eth(), XDP_DROP);
        expect(ipv4("10.0.0.1", "10.0.0.2", udp(40000, 22)).eth(), XDP_PASS);
        expect(ipv4("10.0.0.1", "10.0.0.2", tcp(22, 23)).eth(), XDP_PASS); // source port does not count
        expect(ipv4("10.0.0.1", "10.0.0.2", sctp(1, 9899)).eth(), XDP_DROP);
        expect(ipv6("fd00::1", "fd00::2", sctp(1, 9899)).eth(), XDP_DROP);
        expect(ipv6("fd00::1", "fd00::2", tcp(1, 9899)).eth(), XDP_PASS);
        assertThat(pf.packets(DropReason.DROP_DENY_RULE)).isEqualTo(4);
    }

    @Test
    void portRange() {
        pf.cfg(0, new Slots().deny(5, NONE, true, 50).build());
        for (int p = 1000; p <= 1010; p++) {
            pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_UDP, p), 1L << 5);
        }
        for (int p : new int[] {1000, 1005, 1010}) {
            expect(ipv4("10.0.0.1", "10.0.0.2", udp(1, p)).eth(), XDP_DROP);
            expect(ipv6("fd00::1", "fd00::2", udp(1, p)).eth(), XDP_DROP);
        }
        for (int p : new int[] {999, 1011, 0, 65535}) {
            expect(ipv4("10.0.0.1", "10.0.0.2", udp(1, p)).eth(), XDP_PASS);
        }
        assertThat(pf.hits(50)).isEqualTo(6);
    }

    @Test
    void prefixAndPortNeedBoth() {
        pf.cfg(0, new Slots().deny(2, SRC, true, 20).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(1L << 2, new RulePair(2, 21)));
        pf.src6.get(0).put(v6("fd00:bad::/32"), val(1L << 2, new RulePair(2, 22)));
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 80), 1L << 2);

        expect(ipv4("10.9.9.9", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("10.9.9.9", "192.0.2.1", tcp(1, 81)).eth(), XDP_PASS);
        expect(ipv4("11.9.9.9", "192.0.2.1", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv4("10.9.9.9", "192.0.2.1", udp(1, 80)).eth(), XDP_PASS);
        expect(ipv6("fd00:bad::1", "fd00::1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv6("fd00:bad::1", "fd00::1", tcp(1, 8080)).eth(), XDP_PASS);
        assertThat(pf.hits(21)).isEqualTo(1);
        assertThat(pf.hits(22)).isEqualTo(1);
        assertThat(pf.hits(20)).isZero();
    }

    @Test
    void allowlistMode() {
        pf.cfg(0, new Slots().allowlist().allow(1, DST, false, 10).allow(2, NONE, true, 11).build());
        pf.dst4.get(0).put(v4("192.0.2.0/24"), val(1L << 1, new RulePair(1, 12)));
        pf.dst6.get(0).put(v6("2001:db8::/32"), val(1L << 1));
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 443), 1L << 2);

        expect(ipv4("10.0.0.1", "192.0.2.7", udp(1, 53)).eth(), XDP_PASS);
        expect(ipv6("fd00::1", "2001:db8::7", udp(1, 53)).eth(), XDP_PASS);
        expect(ipv4("10.0.0.1", "198.51.100.1", tcp(1, 443)).eth(), XDP_PASS);
        expect(ipv4("10.0.0.1", "198.51.100.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv6("fd00::1", "fd00::2", icmp6()).eth(), XDP_DROP);
        expect(arp(), XDP_PASS); // non-IP is never subject to the allowlist
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.PASS_ALLOWED, 3L,
                DropReason.DROP_NOT_ALLOWED, 2L, DropReason.PASS_NOT_IP, 1L));
        assertThat(pf.hits(12)).isEqualTo(1);
        assertThat(pf.hits(10)).isEqualTo(1);
        assertThat(pf.hits(11)).isEqualTo(1);
    }

    @Test
    void allowlistModeKeepsNeighbourDiscoveryUnlessDenied() {
        pf.cfg(0, new Slots().allowlist().deny(0, SRC, false, 20).build());
        pf.src6.get(0).put(v6("fd00:bad::/32"), val(1));

        expect(ipv6("fe80::1", "ff02::1:ff00:2", icmp6(135)).eth(), XDP_PASS);   // neighbour solicitation
        expect(ipv6("fe80::2", "fe80::1", icmp6(136)).eth(), XDP_PASS);          // neighbour advertisement
        expect(ipv6("fe80::1", "fe80::2", icmp6(128)).eth(), XDP_DROP);          // echo: not allowed
        expect(ipv6("fd00:bad::1", "ff02::1:ff00:2", icmp6(135)).eth(), XDP_DROP); // deny still wins
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.PASS_NDP, 2L,
                DropReason.DROP_NOT_ALLOWED, 1L, DropReason.DROP_DENY_RULE, 1L));
    }

    @Test
    void allowMatchInDenylistModeCountsAsAllowed() {
        pf.cfg(0, new Slots().allow(0, SRC, false, 5).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(1));
        expect(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv4("11.0.0.1", "10.0.0.2", tcp(1, 80)).eth(), XDP_PASS);
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.PASS_ALLOWED, 1L, DropReason.PASS, 1L));
        assertThat(pf.hits(5)).isEqualTo(1);
    }

    @Test
    void denyWinsOverAllow() {
        pf.cfg(0, new Slots().allowlist().allow(0, DST, false, 1).deny(1, SRC, false, 2).build());
        pf.dst4.get(0).put(v4("192.0.2.0/24"), val(1));
        pf.src4.get(0).put(v4("10.6.6.6/32"), val(2));
        expect(ipv4("10.6.6.6", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("10.6.6.7", "192.0.2.1", tcp(1, 80)).eth(), XDP_PASS);
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.DROP_DENY_RULE, 1L, DropReason.PASS_ALLOWED, 1L));
        assertThat(pf.hits(2)).isEqualTo(1);
        assertThat(pf.hits(1)).isEqualTo(1);
    }

    @Test
    void longestPrefixCarriesInheritedSlotsAndNamesTheMostSpecificRule() {
        // rule 1: deny 10.0.0.0/8 (slot 0); rule 2: allow 10.1.0.0/16 (slot 1); rule 3: deny 10.2.0.0/16 (slot 0)
        pf.cfg(0, new Slots().deny(0, SRC, false, 1).allow(1, SRC, false, 2).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(0b01, new RulePair(0, 1)));
        pf.src4.get(0).put(v4("10.1.0.0/16"), val(0b11, new RulePair(1, 2), new RulePair(0, 1)));
        pf.src4.get(0).put(v4("10.2.0.0/16"), val(0b01, new RulePair(0, 3), new RulePair(0, 1)));

        expect(ipv4("10.9.0.1", "192.0.2.1", udp(1, 2)).eth(), XDP_DROP);
        expect(ipv4("10.1.0.1", "192.0.2.1", udp(1, 2)).eth(), XDP_DROP); // the /8 deny still applies
        expect(ipv4("10.2.0.1", "192.0.2.1", udp(1, 2)).eth(), XDP_DROP);
        expect(ipv4("11.1.0.1", "192.0.2.1", udp(1, 2)).eth(), XDP_PASS);
        assertThat(pf.hits(1)).isEqualTo(2);
        assertThat(pf.hits(3)).isEqualTo(1);
        assertThat(pf.hits(2)).isZero();
    }

    @Test
    void generationFlipSwitchesTheWholeRuleSet() {
        pf.cfg(0, new Slots().deny(0, SRC, false, 1).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(1));
        pf.cfg(1, new Slots().deny(0, NONE, true, 2).build());
        pf.port.get(1).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 22), 1L);

        byte[] from10 = ipv4("10.0.0.1", "192.0.2.1", tcp(1, 80)).eth();
        byte[] ssh = ipv4("11.0.0.1", "192.0.2.1", tcp(1, 22)).eth();
        expect(from10, XDP_DROP);
        expect(ssh, XDP_PASS);
        pf.activate(1);
        expect(from10, XDP_PASS);
        expect(ssh, XDP_DROP);
        pf.activate(0);
        expect(from10, XDP_DROP);
        expect(ssh, XDP_PASS);
        assertThat(pf.hits(1)).isEqualTo(2);
        assertThat(pf.hits(2)).isEqualTo(1);
    }

    @Test
    void rateLimitPerSourceAfterBurst() {
        pf.cfg(0, new Slots().rate(1, 5).build());
        byte[] a = ipv4("10.0.0.1", "192.0.2.1", udp(1, 53)).eth();
        byte[] b = ipv6("fd00::1", "2001:db8::1", udp(1, 53)).eth();
        for (int i = 0; i < 5; i++) {
            expect(a, XDP_PASS);
        }
        expect(a, XDP_DROP);
        expect(a, XDP_DROP);
        for (int i = 0; i < 5; i++) {
            expect(b, XDP_PASS);
        }
        expect(b, XDP_DROP);
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.PASS, 10L, DropReason.DROP_RATE_LIMIT, 3L));
        assertThat(pf.rate.lookup(PfAddr.of(ip("10.0.0.1")))).hasValueSatisfying(bk -> assertThat(bk.packets(1)).isZero());
        assertThat(pf.rate.lookup(PfAddr.of(ip("fd00::1")))).isPresent();
        assertThat(pf.rate.count()).isEqualTo(2);
    }

    @Test
    void rateLimitRefills() throws InterruptedException {
        pf.cfg(0, new Slots().rate(50, 1).build()); // one packet every 20 ms
        byte[] a = ipv4("10.0.0.1", "192.0.2.1", udp(1, 53)).eth();
        expect(a, XDP_PASS);
        expect(a, XDP_DROP);
        Thread.sleep(60);
        expect(a, XDP_PASS);
    }
}
