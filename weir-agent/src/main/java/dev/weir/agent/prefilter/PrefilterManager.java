package dev.weir.agent.prefilter;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The prefilter's operations for one scope, as the CLI and (later) the agent call them. Every change is
 * validated and compiled first, so bad input changes nothing; then the dataplane is updated; then the
 * new state is saved. Not thread-safe: one change at a time per scope (the CLI is one process).
 */
public final class PrefilterManager {

    private final String scope;
    private final PrefilterStore store;
    private final PrefilterDataplane dataplane;

    public PrefilterManager(String scope, PrefilterStore store, PrefilterDataplane dataplane) {
        this.scope = scope;
        this.store = store;
        this.dataplane = dataplane;
    }

    public String scope() {
        return scope;
    }

    /** The saved state, or a fresh one with the given capacity. */
    public PrefilterState state(Capacity ifNew) {
        return store.load(scope).orElseGet(() -> PrefilterState.fresh(ifNew));
    }

    /**
     * Attaches to an interface: loads and pins on first use (sized by {@code capacity}; later attaches keep
     * the first size), then writes the saved rules into the maps.
     *
     * @return the XDP mode used
     */
    public String attach(String iface, String mode, Capacity capacity) {
        dataplane.checkInterface(iface);
        PrefilterState st = state(capacity);
        CompiledRules compiled = new RuleCompiler(st.capacity()).compile(st.rules());
        if (!dataplane.loaded()) {
            dataplane.load(st.capacity());
            dataplane.rewrite(compiled);
            dataplane.synProxyPorts(java.util.List.of(), st.rules().settings().synProxy());
        }
        String used = dataplane.attach(iface, mode);
        store.save(scope, st.withAttachment(iface, used));
        return used;
    }

    /** Detaches from an interface; the last detach removes the maps too (rules stay saved). */
    public void detach(String iface) {
        PrefilterState st = store.load(scope).orElseThrow(
                () -> new IllegalArgumentException("the prefilter is not attached anywhere in " + describeScope()));
        if (!dataplane.detach(iface) && !st.attachments().containsKey(iface)) {
            throw new IllegalArgumentException("the prefilter is not attached to " + iface + " in " + describeScope()
                    + (st.attachments().isEmpty() ? "" : " (attached: " + String.join(", ", st.attachments().keySet()) + ")"));
        }
        PrefilterState next = st.withoutAttachment(iface);
        if (next.attachments().isEmpty() && dataplane.attached().isEmpty()) {
            dataplane.destroy();
        }
        store.save(scope, next);
    }

    /** Adds rules: all or nothing. Returns them with their ids. */
    public List<PrefilterRule> add(List<PrefilterRule> rules) {
        java.util.Set<Integer> before = new java.util.HashSet<>();
        state(Capacity.DEFAULT).rules().rules().forEach(r -> before.add(r.id()));
        RuleSet after = change(rs -> rs.add(rules));
        return after.rules().stream().filter(r -> !before.contains(r.id())).toList();
    }

    /** Removes rules by id: all or nothing. */
    public void deleteIds(List<Integer> ids) {
        change(rs -> rs.removeIds(ids));
    }

    /** Removes rules by what they match: all or nothing. */
    public void deleteMatching(List<PrefilterRule> rules) {
        change(rs -> rs.removeMatching(rules));
    }

    /**
     * Makes the rules exactly {@code rules} and the settings {@code settings} in one change (the agent's, from
     * desired state): rules that stay keep their ids and counters, new ones take free ids.
     *
     * @return the rule set now in force
     */
    public RuleSet replace(PrefilterSettings settings, List<PrefilterRule> rules) {
        return change(rs -> rs.replace(settings, rules));
    }

    /** Changes the settings (mode, rate limit, sampling). */
    public void configure(UnaryOperator<PrefilterSettings> f) {
        change(rs -> rs.withSettings(f.apply(rs.settings())));
    }

    private RuleSet change(UnaryOperator<RuleSet> f) {
        PrefilterState st = state(Capacity.DEFAULT);
        RuleSet next = f.apply(st.rules());
        RuleCompiler compiler = new RuleCompiler(st.capacity());
        CompiledRules compiledNext = compiler.compile(next);
        if (dataplane.loaded()) {
            Map<Integer, PrefilterRule> old = new java.util.HashMap<>();
            st.rules().rules().forEach(r -> old.put(r.id(), r));
            List<Integer> fresh = next.rules().stream().filter(r -> !r.equals(old.get(r.id()))).map(PrefilterRule::id).toList();
            dataplane.resetRuleCounters(fresh);
            dataplane.apply(compiler.compile(st.rules()), compiledNext);
            dataplane.synProxyPorts(st.rules().settings().synProxy(), next.settings().synProxy());
        }
        store.save(scope, st.withRules(next));
        return next;
    }

    /** Counters per reason code, summed over CPUs; empty when nothing is loaded. */
    public Map<Integer, long[]> reasonCounters() {
        return dataplane.loaded() ? dataplane.reasonCounters() : Map.of();
    }

    /** Dry-run drops per reason code, summed over CPUs; empty when nothing is loaded. */
    public Map<Integer, long[]> wouldDropCounters() {
        return dataplane.loaded() ? dataplane.wouldDropCounters() : Map.of();
    }

    /** Per-CPU TCP counters (SYNs, cookies sent, valid cookie ACKs: {@link PrefilterDataplane#tcpCounters}). */
    public Map<Integer, long[]> tcpCounters() {
        return dataplane.loaded() ? dataplane.tcpCounters() : Map.of();
    }

    /** The redirect stage's counters per outcome ({@link PrefilterDataplane#redirectCounters}); empty when nothing is loaded. */
    public Map<Integer, long[]> redirectCounters() {
        return dataplane.loaded() ? dataplane.redirectCounters() : Map.of();
    }

    /** Hit counters per rule id (0: unattributed); empty when nothing is loaded. */
    public Map<Integer, long[]> ruleCounters() {
        if (!dataplane.loaded()) {
            return Map.of();
        }
        List<Integer> ids = new java.util.ArrayList<>();
        ids.add(RuleCompiler.UNATTRIBUTED);
        state(Capacity.DEFAULT).rules().rules().forEach(r -> ids.add(r.id()));
        return dataplane.ruleCounters(ids);
    }

    /** Detaches everywhere, removes the pins and forgets the rules. */
    public void purge() {
        for (String iface : dataplane.attached()) {
            dataplane.detach(iface);
        }
        if (dataplane.loaded()) {
            dataplane.destroy();
        }
        store.delete(scope);
    }

    private String describeScope() {
        return scope.equals("host") ? "the host namespace" : "network namespace " + scope;
    }
}
