package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.prefilter.PrefilterRule.Action;

class GenerationSwapTest {

    private final RuleCompiler compiler = new RuleCompiler(Capacity.DEFAULT);

    @Test
    void standbyIsWrittenCompletelyBeforeTheFlipThenTheOtherFollows() {
        InMemoryTables t = new InMemoryTables();
        RuleSet a = RuleSet.EMPTY.add(List.of(RuleCompilerTest.deny("10.0.0.0/8"),
                new PrefilterRule(0, Action.DENY, null, null, Protocol.UDP, PortRange.parse("53"))));
        CompiledRules ca = compiler.compile(a);
        GenerationSwap.rewrite(t, ca);
        assertThat(t.generation(0)).isEqualTo(ca);
        assertThat(t.generation(1)).isEqualTo(ca);

        RuleSet b = a.removeIds(List.of(2)).add(List.of(RuleCompilerTest.deny("fd00::/8"), RuleCompilerTest.deny("10.1.0.0/16")));
        CompiledRules cb = compiler.compile(b);
        int before = t.active;
        t.log.clear();
        GenerationSwap.apply(t, ca, cb);

        assertThat(t.active).isEqualTo(1 - before);
        assertThat(t.generation(0)).isEqualTo(cb);
        assertThat(t.generation(1)).isEqualTo(cb);
        int flip = t.log.indexOf("activate " + (1 - before));
        assertThat(t.log.subList(0, flip)).allMatch(op -> op.endsWith(" " + (1 - before)));
        assertThat(t.log.subList(flip + 1, t.log.size())).allMatch(op -> op.endsWith(" " + before));
    }

    @Test
    void removedPortsAreZeroed() {
        InMemoryTables t = new InMemoryTables();
        RuleSet a = RuleSet.EMPTY.add(List.of(new PrefilterRule(0, Action.DENY, null, Cidr.parse("192.0.2.0/24"),
                Protocol.TCP, PortRange.parse("80-81"))));
        CompiledRules ca = compiler.compile(a);
        GenerationSwap.rewrite(t, ca);
        GenerationSwap.apply(t, ca, compiler.compile(a.removeIds(List.of(1))));
        assertThat(t.ports.get(0)).containsEntry(80, 0L).containsEntry(81, 0L);
        assertThat(t.generation(0)).isEqualTo(compiler.compile(RuleSet.EMPTY));
    }

    /** Every prefix of each table is where the generation's hashed lengths put it, and nowhere else. */
    private static void assertPlaced(InMemoryTables t, int gen, CompiledRules expected) {
        assertThat(t.generation(gen)).isEqualTo(expected);
        expected.tries().forEach((name, entries) -> {
            var hashed = expected.cfg().hashed();
            assertThat(InMemoryTables.placed(t.hashes, gen, name).keySet())
                    .allMatch(k -> hashed.inHash(name, k), "hashed lengths " + hashed.of(name));
            assertThat(InMemoryTables.placed(t.tries, gen, name).keySet()).noneMatch(k -> hashed.inHash(name, k));
        });
    }

    @Test
    void changedHashedLengthsMoveEntriesBetweenHashAndTrie() {
        InMemoryTables t = new InMemoryTables();
        RuleSet a = RuleSet.EMPTY.add(List.of(RuleCompilerTest.deny("10.0.0.0/16"), RuleCompilerTest.deny("10.1.0.0/24"),
                RuleCompilerTest.deny("10.1.2.3/32"), RuleCompilerTest.denyDst("2001:db8::/64")));
        CompiledRules ca = compiler.compile(a);
        assertThat(ca.cfg().hashed().src4()).containsExactly(32, 24, 16);
        assertThat(ca.cfg().hashed().trieEmpty("pf_src4")).isTrue();
        GenerationSwap.rewrite(t, ca);
        assertPlaced(t, 0, ca);
        assertPlaced(t, 1, ca);

        // six more lengths (9 in all): only the host length stays hashed, the rest moves to the trie
        RuleSet b = a.add(List.of(RuleCompilerTest.deny("10.0.0.0/8"), RuleCompilerTest.deny("10.0.0.0/9"),
                RuleCompilerTest.deny("10.0.0.0/10"), RuleCompilerTest.deny("10.0.0.0/11"),
                RuleCompilerTest.deny("10.0.0.0/12"), RuleCompilerTest.deny("10.0.0.0/13")));
        CompiledRules cb = compiler.compile(b);
        assertThat(cb.cfg().hashed().src4()).containsExactly(32);
        GenerationSwap.apply(t, ca, cb);
        assertPlaced(t, 0, cb);
        assertPlaced(t, 1, cb);
        assertThat(InMemoryTables.placed(t.tries, 0, "pf_src4")).hasSize(8);

        // an unchanged list in between, then back
        RuleSet c = b.add(List.of(RuleCompilerTest.deny("10.64.0.0/14")));
        CompiledRules cc = compiler.compile(c);
        assertThat(cc.cfg().hashed()).isEqualTo(cb.cfg().hashed());
        GenerationSwap.apply(t, cb, cc);
        assertPlaced(t, 0, cc);
        GenerationSwap.apply(t, cc, ca);
        assertPlaced(t, 0, ca);
        assertPlaced(t, 1, ca);
        assertThat(InMemoryTables.placed(t.tries, 0, "pf_src4")).isEmpty();
        RuleCompilerTest.assertPlacementIsLongestPrefixMatch(t.generation(0), new java.util.Random(1), 200);
    }
}
