package dev.weir.datapath.prefilter;

import static dev.weir.testkit.Frames.*;
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
import dev.weir.testkit.Frames;

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

    static PfNetKey net(String cidr) {
        String[] p = cidr.split("/");
        return new PfNetKey(Integer.parseInt(p[1]), ip(p[0]).getAddress());
    }

    static int[] lens(int... l) {
        return l;
    }

    static PfCfg.Nets nets(int[] src4, int[] dst4, int[] src6, int[] dst6, int skip) {
        return new PfCfg.Nets(src4, dst4, src6, dst6, skip);
    }

    @Test
    void hashedLengthsMatchLongestFirst() {
        pf.cfg(0, new Slots().deny(0, SRC, false, 99).deny(1, DST, false, 98)
                .nets(nets(lens(32, 24, 16), lens(32), lens(), lens(), 0)).build());
        // values carry the inherited slots themselves, as the compiler writes them
        pf.snet4.get(0).put(net("10.1.0.0/16"), val(1, new RulePair(0, 16)));
        pf.snet4.get(0).put(net("10.1.2.0/24"), val(1, new RulePair(0, 24), new RulePair(0, 16)));
        pf.snet4.get(0).put(net("10.1.2.3/32"), val(1, new RulePair(0, 32), new RulePair(0, 24)));
        pf.snet4.get(0).put(net("10.7.0.0/24"), val(1, new RulePair(0, 7))); // not a /16 of the list's
        pf.dnet4.get(0).put(net("192.0.2.9/32"), val(2, new RulePair(1, 13)));

        expect(ipv4("10.1.2.3", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);   // the /32
        expect(ipv4("10.1.2.4", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);   // the /24
        expect(ipv4("10.1.3.4", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);   // the /16
        expect(ipv4("10.2.0.1", "192.0.2.1", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv4("10.7.0.200", "192.0.2.1", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("10.7.1.0", "192.0.2.1", tcp(1, 80)).eth(), XDP_PASS);
        expect(ipv4("198.51.100.1", "192.0.2.9", tcp(1, 80)).eth(), XDP_DROP);
        expect(ipv4("198.51.100.1", "192.0.2.8", tcp(1, 80)).eth(), XDP_PASS);
        assertThat(pf.hits(32)).isEqualTo(1);
        assertThat(pf.hits(24)).isEqualTo(1);
        assertThat(pf.hits(16)).isEqualTo(1);
        assertThat(pf.hits(7)).isEqualTo(1);
        assertThat(pf.hits(13)).isEqualTo(1);
        assertThat(pf.hits(99)).isZero();
    }

    @Test
    void hashedLengthsThenTheTrieForShorterPrefixes() {
        // rules: deny 10.0.0.0/8 (1), allow 10.1.0.0/16 (2), deny 10.1.2.0/24 (3), deny 10.1.2.128/25 (4)
        pf.cfg(0, new Slots().allowlist().deny(0, SRC, false, 90).allow(1, SRC, false, 91)
                .nets(nets(lens(25, 24), lens(), lens(), lens(), 0)).build());
        pf.src4.get(0).put(v4("10.0.0.0/8"), val(0b01, new RulePair(0, 1)));
        pf.src4.get(0).put(v4("10.1.0.0/16"), val(0b11, new RulePair(1, 2), new RulePair(0, 1)));
        pf.snet4.get(0).put(net("10.1.2.0/24"), val(0b11, new RulePair(0, 3), new RulePair(1, 2)));
        pf.snet4.get(0).put(net("10.1.2.128/25"), val(0b11, new RulePair(0, 4), new RulePair(1, 2)));
        pf.snet4.get(0).put(net("11.0.0.0/24"), val(0b10, new RulePair(1, 5)));

        expect(ipv4("10.1.2.200", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP); // /25 from the hash
        expect(ipv4("10.1.2.5", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP);   // /24 from the hash
        expect(ipv4("10.1.3.5", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP);   // /16 from the trie: the /8 deny
        expect(ipv4("10.9.3.5", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP);   // /8 from the trie
        expect(ipv4("11.0.0.9", "192.0.2.1", udp(1, 53)).eth(), XDP_PASS);   // allowed through the hash
        expect(ipv4("12.0.0.9", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP);   // nothing: not allowed
        assertThat(pf.hits(4)).isEqualTo(1);
        assertThat(pf.hits(3)).isEqualTo(1);
        assertThat(pf.hits(1)).isEqualTo(2);
        assertThat(pf.hits(5)).isEqualTo(1);
        assertThat(pf.nonZeroStats()).isEqualTo(Map.of(DropReason.DROP_DENY_RULE, 4L,
                DropReason.PASS_ALLOWED, 1L, DropReason.DROP_NOT_ALLOWED, 1L));

        // a trie marked empty is not walked, whatever it holds
        pf.cfg(0, new Slots().allowlist().deny(0, SRC, false, 90).allow(1, SRC, false, 91)
                .nets(nets(lens(25, 24), lens(), lens(), lens(), PfCfg.SKIP_SRC4)).build());
        expect(ipv4("10.9.3.5", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP);
        expect(ipv4("10.1.2.5", "192.0.2.1", udp(1, 53)).eth(), XDP_DROP);
        assertThat(pf.packets(DropReason.DROP_NOT_ALLOWED)).isEqualTo(2);
        assertThat(pf.hits(3)).isEqualTo(2);
    }

    @Test
    void ipv6HashedLengthsBothSides() {
        pf.cfg(0, new Slots().deny(0, SRC, false, 99).deny(1, DST, false, 98)
                .nets(nets(lens(), lens(), lens(128, 65, 48), lens(64, 0), PfCfg.SKIP_DST6)).build());
        pf.snet6.get(0).put(net("2001:db8:bad::/48"), val(1, new RulePair(0, 48)));
        pf.snet6.get(0).put(net("2001:db8:bad:1:8000::/65"), val(1, new RulePair(0, 65)));
        pf.snet6.get(0).put(net("2001:db8:bad:1::1/128"), val(1, new RulePair(0, 128)));
        pf.src6.get(0).put(v6("2001:db8::/32"), val(1, new RulePair(0, 32)));
        pf.dnet6.get(0).put(net("fd00:1:2:3::/64"), val(2, new RulePair(1, 64)));
        pf.dnet6.get(0).put(net("::/0"), val(0));  // /0 matches everything, with no slot

        expect(ipv6("2001:db8:bad:1::1", "fd00::1", udp(1, 53)).eth(), XDP_DROP);        // /128
        expect(ipv6("2001:db8:bad:1:8000::2", "fd00::1", udp(1, 53)).eth(), XDP_DROP);   // /65
        expect(ipv6("2001:db8:bad:1:7fff::2", "fd00::1", udp(1, 53)).eth(), XDP_DROP);   // /48
        expect(ipv6("2001:db8:1::1", "fd00::1", udp(1, 53)).eth(), XDP_DROP);            // /32, trie
        expect(ipv6("2001:db9::1", "fd00::1", udp(1, 53)).eth(), XDP_PASS);
        expect(ipv6("fd00::1", "fd00:1:2:3:ffff::1", udp(1, 53)).eth(), XDP_DROP);       // dst /64
        expect(ipv6("fd00::1", "fd00:1:2:4::1", udp(1, 53)).eth(), XDP_PASS);            // dst /0: no slot
        // an IPv4 packet does not look in the IPv6 maps
        expect(ipv4("10.0.0.1", "10.0.0.2", udp(1, 53)).eth(), XDP_PASS);
        assertThat(pf.hits(128)).isEqualTo(1);
        assertThat(pf.hits(65)).isEqualTo(1);
        assertThat(pf.hits(48)).isEqualTo(1);
        assertThat(pf.hits(32)).isEqualTo(1);
        assertThat(pf.hits(64)).isEqualTo(1);
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
        for (int p : new int[] {999, 1011, 1, 65535}) {   // port 0 drops before any rule (PrefilterL4SanityTest)
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
    void generationFlipWithChangedLengths() {
        // generation 0 hashes /24 and walks the trie for the /16; generation 1 hashes /16 and /8
        pf.cfg(0, new Slots().deny(0, SRC, false, 9).nets(nets(lens(24), lens(), lens(), lens(), 0)).build());
        pf.snet4.get(0).put(net("10.1.2.0/24"), val(1, new RulePair(0, 1)));
        pf.src4.get(0).put(v4("10.2.0.0/16"), val(1, new RulePair(0, 2)));
        pf.cfg(1, new Slots().deny(0, SRC, false, 9)
                .nets(nets(lens(16, 8), lens(), lens(), lens(), PfCfg.SKIP_SRC4 | PfCfg.SKIP_SRC6)).build());
        pf.snet4.get(1).put(net("10.2.0.0/16"), val(1, new RulePair(0, 2)));
        pf.snet4.get(1).put(net("11.0.0.0/8"), val(1, new RulePair(0, 3)));

        byte[] a = ipv4("10.1.2.3", "192.0.2.1", tcp(1, 80)).eth();
        byte[] b = ipv4("10.2.9.9", "192.0.2.1", tcp(1, 80)).eth();
        byte[] c = ipv4("11.9.9.9", "192.0.2.1", tcp(1, 80)).eth();
        expect(a, XDP_DROP);
        expect(b, XDP_DROP);
        expect(c, XDP_PASS);
        pf.activate(1);
        expect(a, XDP_PASS);
        expect(b, XDP_DROP);
        expect(c, XDP_DROP);
        pf.activate(0);
        expect(c, XDP_PASS);
        assertThat(pf.hits(1)).isEqualTo(1);
        assertThat(pf.hits(2)).isEqualTo(2);
        assertThat(pf.hits(3)).isEqualTo(1);
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
