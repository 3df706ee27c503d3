package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.prefilter.CompiledRules.HashedLengths;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;
import dev.weir.agent.prefilter.Evaluator.Kind;
import dev.weir.agent.prefilter.Evaluator.Packet;
import dev.weir.agent.prefilter.PrefilterRule.Action;

class RuleCompilerTest {

    private final RuleCompiler compiler = new RuleCompiler(Capacity.DEFAULT);

    static PrefilterRule deny(String src) {
        return new PrefilterRule(0, Action.DENY, Cidr.parse(src), null, null, null);
    }

    static Packet tcp(String src, String dst, int port) {
        return new Packet(Cidr.parse(src).address(), Cidr.parse(dst).address(), 6, port);
    }

    @Test
    void prefixesOfOneShapeShareOneSlot() {
        RuleSet set = RuleSet.EMPTY.add(List.of(deny("203.0.113.0/24"), deny("198.51.100.0/24"), deny("2001:db8::/32")));
        CompiledRules c = compiler.compile(set);
        assertThat(Long.bitCount(c.cfg().active())).isEqualTo(1);
        assertThat(c.src4()).hasSize(2);
        assertThat(c.src6()).hasSize(1);
        assertThat(Evaluator.byMaps(c, tcp("203.0.113.9", "10.0.0.1", 80)).kind()).isEqualTo(Kind.DROP_DENY_RULE);
        assertThat(Evaluator.byMaps(c, tcp("192.0.2.1", "10.0.0.1", 80)).kind()).isEqualTo(Kind.PASS);
    }

    @Test
    void shorterPrefixStillAppliesInsideALongerOne() {
        RuleSet set = RuleSet.EMPTY.add(List.of(
                deny("10.0.0.0/8"),
                new PrefilterRule(0, Action.ALLOW, Cidr.parse("10.1.0.0/16"), null, Protocol.TCP, PortRange.single(22))));
        CompiledRules c = compiler.compile(set);
        // the /16's entry carries the /8's deny slot, so the deny is not lost to the longer match
        assertThat(Evaluator.byMaps(c, tcp("10.1.2.3", "192.0.2.1", 22)).kind()).isEqualTo(Kind.DROP_DENY_RULE);
        assertThat(Evaluator.byMaps(c, tcp("10.1.2.3", "192.0.2.1", 22)).rule()).isEqualTo(1);
    }

    @Test
    void attributesHitsToTheMostSpecificRule() {
        RuleSet set = RuleSet.EMPTY.add(List.of(deny("10.0.0.0/8"), deny("10.1.0.0/16")));
        CompiledRules c = compiler.compile(set);
        assertThat(Evaluator.byMaps(c, tcp("10.1.2.3", "192.0.2.1", 80)).rule()).isEqualTo(2);
        assertThat(Evaluator.byMaps(c, tcp("10.2.2.3", "192.0.2.1", 80)).rule()).isEqualTo(1);
    }

    @Test
    void portRangesExpandPerProtocolClass() {
        RuleSet set = RuleSet.EMPTY.add(List.of(
                new PrefilterRule(0, Action.DENY, null, null, Protocol.UDP, PortRange.parse("5000-5009"))));
        CompiledRules c = compiler.compile(set);
        assertThat(c.ports()).hasSize(10).containsKey(65536 + 5000);
        Packet udp = new Packet(Cidr.parse("192.0.2.1").address(), Cidr.parse("192.0.2.2").address(), 17, 5005);
        assertThat(Evaluator.byMaps(c, udp).kind()).isEqualTo(Kind.DROP_DENY_RULE);
        assertThat(Evaluator.byMaps(c, udp).rule()).isEqualTo(1);
        assertThat(Evaluator.byMaps(c, tcp("192.0.2.1", "192.0.2.2", 5005)).kind()).isEqualTo(Kind.PASS);
    }

    @Test
    void refusesWhatDoesNotFitNamingTheMap() {
        RuleCompiler small = new RuleCompiler(new Capacity(2, 100));
        RuleSet set = RuleSet.EMPTY.add(List.of(deny("10.0.0.0/8"), deny("11.0.0.0/8"), deny("12.0.0.0/8")));
        assertThatThrownBy(() -> small.compile(set)).hasMessageContaining("map pf_src4 holds 2 prefixes; these rules need 3");
        List<PrefilterRule> many = new ArrayList<>();
        for (int p = 1; p <= 65; p++) {
            many.add(new PrefilterRule(0, Action.DENY, null, null, Protocol.TCP, PortRange.single(p)));
        }
        assertThatThrownBy(() -> compiler.compile(RuleSet.EMPTY.add(many))).hasMessageContaining("65 distinct shapes");
    }

    @Test
    void duplicateAndUnknownRulesAreErrors() {
        RuleSet set = RuleSet.EMPTY.add(List.of(deny("10.0.0.0/8")));
        assertThatThrownBy(() -> set.add(List.of(deny("10.0.0.0/8")))).hasMessageContaining("already exists as rule 1");
        assertThatThrownBy(() -> set.removeIds(List.of(7))).hasMessageContaining("no prefilter rule with id 7");
        assertThat(set.removeMatching(List.of(deny("10.0.0.0/8"))).rules()).isEmpty();
        assertThatThrownBy(() -> new PrefilterRule(0, Action.DENY, null, null, Protocol.ICMP, PortRange.single(1)))
                .hasMessageContaining("icmp has no ports");
    }

    /** The compiled maps decide exactly what the rules mean, for random rule sets and packets. */
    @Test
    void compiledMapsAgreeWithRuleSemantics() {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            RuleSet set = randomRules(rnd);
            CompiledRules c = compiler.compile(set);
            for (int i = 0; i < 200; i++) {
                Packet p = randomPacket(rnd);
                assertThat(Evaluator.byMaps(c, p).kind()).as("round %d packet %d", round, i)
                        .isEqualTo(Evaluator.byRules(set, p));
            }
        }
    }

    private static RuleSet randomRules(Random rnd) {
        List<PrefilterRule> rules = new ArrayList<>();
        int n = 1 + rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            Action a = rnd.nextInt(3) == 0 ? Action.ALLOW : Action.DENY;
            Cidr prefix = rnd.nextInt(4) == 0 ? null : new Cidr(new byte[] {10, (byte) rnd.nextInt(4), 0, 0}, 8 + rnd.nextInt(3) * 4);
            boolean src = rnd.nextBoolean();
            Protocol proto = rnd.nextInt(3) == 0 ? null : rnd.nextBoolean() ? Protocol.TCP : Protocol.UDP;
            PortRange ports = proto == null || rnd.nextBoolean() ? null : new PortRange(80 + rnd.nextInt(3), 82 + rnd.nextInt(3));
            PrefilterRule r = new PrefilterRule(0, a, src ? prefix : null, src ? null : prefix, proto, ports);
            if (rules.stream().noneMatch(x -> x.sameMatch(r))) {
                rules.add(r);
            }
        }
        PrefilterSettings.Mode mode = rnd.nextBoolean() ? PrefilterSettings.Mode.ALLOWLIST : PrefilterSettings.Mode.DENYLIST;
        return RuleSet.EMPTY.withSettings(PrefilterSettings.DEFAULT.withMode(mode)).add(rules);
    }

    private static Packet randomPacket(Random rnd) {
        byte[] s = {10, (byte) rnd.nextInt(4), (byte) rnd.nextInt(256), 1};
        byte[] d = {10, (byte) rnd.nextInt(4), (byte) rnd.nextInt(256), 2};
        int proto = rnd.nextBoolean() ? 6 : rnd.nextBoolean() ? 17 : 1;
        int port = proto == 1 || rnd.nextInt(8) == 0 ? -1 : 79 + rnd.nextInt(7);
        return new Packet(s, d, proto, port);
    }

    static PrefilterRule denyDst(String dst) {
        return new PrefilterRule(0, Action.DENY, null, Cidr.parse(dst), null, null);
    }

    @Test
    void fewLengthsAreHashedWholeManyKeepOnlyTheHostLengthInTheHash() {
        List<PrefilterRule> rules = new ArrayList<>();
        for (int len = 8; len <= 32; len += 2) {  // 13 distinct lengths: only /32 hashed
            rules.add(deny("10.0.0.0/" + len));
        }
        rules.add(denyDst("2001:db8::/32"));       // 3 lengths: all hashed, no trie walk
        rules.add(denyDst("2001:db8:1::/48"));
        rules.add(denyDst("2001:db8:1::1"));
        for (int len = 8; len <= 24; len += 2) {   // 9 lengths, no host: nothing hashed
            rules.add(denyDst("10.0.0.0/" + len));
        }
        HashedLengths h = compiler.compile(RuleSet.EMPTY.add(rules)).cfg().hashed();
        assertThat(h.src4()).containsExactly(32);
        assertThat(h.dst6()).containsExactly(128, 48, 32);
        assertThat(h.dst4()).isEmpty();
        assertThat(h.src6()).isEmpty();
        assertThat(h.trieEmpty("pf_src4")).isFalse();
        assertThat(h.trieEmpty("pf_dst4")).isFalse();
        assertThat(h.trieEmpty("pf_dst6")).isTrue();
        assertThat(h.trieEmpty("pf_src6")).isTrue();
        assertThat(h.inHash("pf_src4", Cidr.parse("10.0.0.0/32"))).isTrue();
        assertThat(h.inHash("pf_src4", Cidr.parse("10.0.0.0/30"))).isFalse();
        assertThat(compiler.compile(RuleSet.EMPTY).cfg().hashed()).isEqualTo(HashedLengths.NONE);
    }

    /**
     * The datapath's lookup over placed entries (docs/prefilter-datapath.md): the hash at each hashed
     * length, longest first, first hit wins; then the trie's longest match unless the trie is empty.
     */
    static PrefixEntry datapathLookup(List<Integer> hashedLengths, boolean trieEmpty,
                                      Map<Cidr, PrefixEntry> hash, Map<Cidr, PrefixEntry> trie, byte[] addr) {
        for (int len : hashedLengths) {
            PrefixEntry e = hash.get(new Cidr(addr, len));
            if (e != null) {
                return e;
            }
        }
        return trieEmpty ? null : Evaluator.longest(trie, addr);
    }

    /** Splits each table as KernelTables does, then checks the datapath's lookup against longest-prefix match. */
    static void assertPlacementIsLongestPrefixMatch(CompiledRules c, Random rnd, int packets) {
        HashedLengths h = c.cfg().hashed();
        c.tries().forEach((name, entries) -> {
            Map<Cidr, PrefixEntry> hash = new HashMap<>();
            Map<Cidr, PrefixEntry> trie = new HashMap<>();
            entries.forEach((k, v) -> (h.inHash(name, k) ? hash : trie).put(k, v));
            List<Integer> lens = h.of(name);
            assertThat(lens).hasSizeLessThanOrEqualTo(HashedLengths.MAX).isSortedAccordingTo((a, b) -> b - a);
            if (!lens.isEmpty()) {
                trie.keySet().forEach(k -> assertThat(k.length()).as("%s: trie prefix %s", name, k)
                        .isLessThan(lens.getLast()));
            }
            assertThat(h.trieEmpty(name)).as(name).isEqualTo(trie.isEmpty());
            List<Cidr> prefixes = new ArrayList<>(entries.keySet());
            int bytes = name.endsWith("4") ? 4 : 16;
            for (int i = 0; i < packets; i++) {
                byte[] addr = new byte[bytes];
                rnd.nextBytes(addr);
                if (!prefixes.isEmpty() && rnd.nextInt(4) != 0) {
                    // most addresses inside some prefix, with random host bits
                    Cidr p = prefixes.get(rnd.nextInt(prefixes.size()));
                    byte[] net = p.address();
                    for (int b = 0; b < bytes; b++) {
                        int keep = Math.clamp(p.length() - 8L * b, 0, 8);
                        int m = (0xff00 >> keep) & 0xff;
                        addr[b] = (byte) ((net[b] & m) | (addr[b] & ~m));
                    }
                }
                assertThat(datapathLookup(lens, h.trieEmpty(name), hash, trie, addr))
                        .as("%s, address %s", name, java.util.HexFormat.of().formatHex(addr))
                        .isEqualTo(Evaluator.longest(entries, addr));
            }
        });
    }

    /** Random rule sets with many distinct lengths: the hash-then-trie placement is longest-prefix match. */
    @Test
    void placedHashAndTrieFindTheLongestPrefix() {
        Random rnd = new Random(7);
        for (int round = 0; round < 100; round++) {
            List<PrefilterRule> rules = new ArrayList<>();
            int n = 1 + rnd.nextInt(60);
            for (int i = 0; i < n; i++) {
                boolean v4 = rnd.nextBoolean();
                byte[] a = new byte[v4 ? 4 : 16];
                a[0] = 10;
                a[1] = (byte) rnd.nextInt(2);
                a[2] = (byte) rnd.nextInt(2);
                Cidr p = new Cidr(a, rnd.nextInt(v4 ? 33 : 129));
                boolean src = rnd.nextBoolean();
                Action act = rnd.nextInt(3) == 0 ? Action.ALLOW : Action.DENY;
                PrefilterRule r = new PrefilterRule(0, act, src ? p : null, src ? null : p, null, null);
                if (rules.stream().noneMatch(x -> x.sameMatch(r))) {
                    rules.add(r);
                }
            }
            CompiledRules c = compiler.compile(RuleSet.EMPTY.add(rules));
            assertPlacementIsLongestPrefixMatch(c, rnd, 300);
        }
    }
}
