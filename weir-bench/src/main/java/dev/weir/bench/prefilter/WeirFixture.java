package dev.weir.bench.prefilter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.Capacity;
import dev.weir.agent.prefilter.CompiledRules;
import dev.weir.agent.prefilter.KernelPrefilterDataplane;
import dev.weir.agent.prefilter.PrefilterRule;
import dev.weir.agent.prefilter.PrefilterSettings;
import dev.weir.agent.prefilter.RuleCompiler;
import dev.weir.agent.prefilter.RuleSet;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * weir's prefilter as the agent installs it, but in a private pin directory and attached nowhere: the
 * object built into this jar, its maps pinned under {@code pinDir} and filled through the agent's own
 * rule compiler and generation swap. Owns the loaded object (closed by {@link #close()}); the pins are
 * removed by the {@link Cleanup} step registered at load.
 */
final class WeirFixture implements AutoCloseable {

    /** Wall-clock cost of turning a deny list into map contents, per step. */
    record InstallTiming(int rules, long addNs, long compileNs, long writeNs) {
    }

    private final KernelPrefilterDataplane dataplane;
    private final Capacity capacity;
    private final BpfObject object;

    private WeirFixture(KernelPrefilterDataplane dataplane, Capacity capacity, BpfObject object) {
        this.dataplane = dataplane;
        this.capacity = capacity;
        this.object = object;
    }

    static WeirFixture load(Path pinDir, Capacity capacity, Cleanup cleanup) {
        var dp = new KernelPrefilterDataplane("bench", NetworkNamespace.current(), pinDir);
        cleanup.push("remove weir's pins in " + pinDir, dp::destroy);
        return new WeirFixture(dp, capacity, dp.loadObject(capacity));
    }

    /** The program that {@code weir prefilter attach} would attach. */
    BpfProgram program() {
        return object.program(PrefilterMaps.PROGRAM);
    }

    /**
     * Replaces the rules with "deny source P" for every prefix under the given settings, both
     * generations, as {@code weir prefilter} would; returns the time each step took.
     */
    InstallTiming denySources(List<Cidr> prefixes, PrefilterSettings settings) {
        List<PrefilterRule> rules = new ArrayList<>(prefixes.size());
        for (Cidr p : prefixes) {
            rules.add(new PrefilterRule(0, PrefilterRule.Action.DENY, p, null, null, null));
        }
        long t0 = System.nanoTime();
        RuleSet set = RuleSet.EMPTY.withSettings(settings).add(rules);
        long t1 = System.nanoTime();
        CompiledRules compiled = new RuleCompiler(capacity).compile(set);
        long t2 = System.nanoTime();
        dataplane.rewrite(compiled);
        long t3 = System.nanoTime();
        return new InstallTiming(rules.size(), t1 - t0, t2 - t1, t3 - t2);
    }

    @Override
    public void close() {
        object.close();
    }
}
