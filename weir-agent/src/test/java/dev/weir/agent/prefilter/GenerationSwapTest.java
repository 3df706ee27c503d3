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
}
