package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.identity.IdentityAllocator;
import dev.weir.agent.net.Cidr;

/**
 * The policy engine kept between computations (docs/policy-engine.md, "Incremental computation"): a change of
 * policies, pods, namespace labels, policy modes, the prefixes policies name or nodes costs what it changes. Each
 * policy's {@link PolicyCompiler.Contribution} and the {@link IdentityTable} are kept; the table follows the
 * changed endpoints (and the endpoints of relabelled namespaces), the changed nodes and the named prefixes that
 * came or went; only the changed policies and those whose peers or address blocks the changed identities,
 * addresses or prefixes concern are compiled again, and only the endpoints they select, the changed endpoints and
 * those a changed mode covers are assembled again. Endpoints whose rules were renumbered (a policy added or removed
 * before theirs in the order, or a rule count changed) are assembled again from their kept contributions. An
 * update computes everything, exactly as {@link PolicyEngine#resolve} does, when it is the first, when unchanged
 * endpoints come in another order or an id twice, or when two policies or two modes share a key. The result of an
 * update is equal to a full resolution of the same snapshot. Thread-safe.
 *
 * <p>The engine holds the identity references of its last result, one per endpoint and per named prefix: an
 * update takes a reference for each endpoint that comes or changes identity and gives one back for each that goes
 * or leaves one (an identity nobody holds is the allocator's to collect); an update that computes everything
 * gives back the previous result's references after taking its own. A caller that releases results
 * ({@link PolicyEngine#release}) releases only the last one. {@link #forget} gives back nothing.
 */
public final class IncrementalPolicyEngine {

    private final boolean allowLocalhost;

    private PolicyResult result;
    private IdentityTable table;
    private Set<Cidr> cidrs;
    private List<PolicyObject> modes;
    private Map<Integer, List<String>> modeWarnings;
    private Map<String, PolicyCompiler.Contribution> contributions;
    private Numbering numbering;
    private int assembled;
    private boolean everything;

    /** @param allowLocalhost as {@link PolicyEngine#PolicyEngine(boolean)} */
    public IncrementalPolicyEngine(boolean allowLocalhost) {
        this.allowLocalhost = allowLocalhost;
    }

    /**
     * The engine's result for {@code next}, computed from what changed since the last update. Takes identity
     * references from {@code allocator} for what came (every endpoint and named prefix when it computes everything)
     * and gives back those of what went.
     */
    public synchronized PolicyResult update(ClusterSnapshot next, IdentityAllocator allocator) {
        List<PolicyObject> ordered = PolicyCompiler.ordered(next.policies());
        Set<Cidr> nextCidrs = PolicyCompiler.cidrs(next.policies());
        List<PolicyObject> nextModes = next.policies().stream().filter(p -> p instanceof PolicyMode).toList();
        ClusterSnapshot last = result == null ? null : result.snapshot();
        boolean followed = last != null && uniqueKeys(ordered) && uniqueKeys(nextModes) && uniqueKeys(modes);
        try {
            EndpointChanges changes = followed ? EndpointChanges.of(last, next) : null;
            everything = changes == null;
            return changes != null ? changed(next, ordered, nextCidrs, nextModes, changes, allocator)
                    : full(next, ordered, nextCidrs, nextModes, allocator);
        } catch (RuntimeException | Error e) {
            forget();
            throw e;
        }
    }

    /** Makes the next update compute everything (identities allocated again). */
    public synchronized void forget() {
        result = null;
        table = null;
        contributions = null;
        numbering = null;
    }

    /** How many endpoints the last update assembled (every endpoint when it computed everything). */
    public synchronized int lastAssembled() {
        return assembled;
    }

    /** Whether the last update computed everything (identities allocated again, every policy compiled). */
    synchronized boolean lastComputedEverything() {
        return everything;
    }

    private PolicyResult full(ClusterSnapshot next, List<PolicyObject> ordered, Set<Cidr> nextCidrs, List<PolicyObject> nextModes,
                              IdentityAllocator allocator) {
        PolicyResult previous = result;
        table = new IdentityTable(next, nextCidrs, allocator);
        PolicyCompiler compiler = new PolicyCompiler(next, table);
        contributions = new LinkedHashMap<>();
        List<PolicyCompiler.Contribution> list = new ArrayList<>();
        for (PolicyObject o : ordered) {
            PolicyCompiler.Contribution c = compiler.compile(o);
            list.add(c);
            contributions.put(key(o), c);
        }
        numbering = Numbering.of(ordered, list::get, allowLocalhost);
        modeWarnings = new HashMap<>();
        Set<Integer> all = new HashSet<>();
        next.endpoints().forEach(ep -> all.add(ep.id()));
        SortedMap<Integer, EndpointPolicy> endpoints = new TreeMap<>();
        assemble(next, list, all, endpoints);
        cidrs = nextCidrs;
        modes = nextModes;
        result = new PolicyResult(table.infos(), table.ipcache, endpoints, numbering.rules, warnings(next, list), next,
                table.allocated(next));
        if (previous != null) {
            previous.allocated().forEach(allocator::release); // after the new references: numbers stay
        }
        return result;
    }

    /**
     * The policies, endpoints, nodes, named prefixes and modes that changed are taken from the last computation. The
     * identity table follows the changed endpoints and namespaces ({@link IdentityTable#update}), then the nodes
     * ({@link IdentityTable#updateNodes}), then the named prefixes ({@link IdentityTable#updatePrefixes}). A policy
     * is compiled again when its object changed, when an endpoint identity came or went that its peers select, when
     * one of its address blocks holds an address of an identity whose endpoints changed (before or after) or, when the
     * nodes changed, of a node (before or after), or when a prefix that came or went is one of its peers (a block
     * covers it, or the policy names {@code world}); otherwise it keeps its entries and only its selection follows
     * the changed endpoints. The endpoints a mode that changed covers ({@link ModeResolver#covers}), before or after,
     * are assembled again.
     */
    private PolicyResult changed(ClusterSnapshot next, List<PolicyObject> ordered, Set<Cidr> nextCidrs, List<PolicyObject> nextModes,
                                 EndpointChanges changes, IdentityAllocator allocator) {
        Set<Integer> changedEndpoints = changes.changed();
        Map<Integer, Endpoint> now = changes.now();
        Moved moved = move(next, nextCidrs, changes, allocator);
        PolicyCompiler compiler = new PolicyCompiler(next, table);
        Map<String, PolicyCompiler.Contribution> kept = new LinkedHashMap<>();
        List<PolicyCompiler.Contribution> list = new ArrayList<>();
        Set<Integer> affected = new HashSet<>(changedEndpoints);
        affected.addAll(coveredByChangedModes(nextModes, now.values()));
        affected.retainAll(now.keySet());
        for (PolicyObject o : ordered) {
            PolicyCompiler.Contribution last = contributions.get(key(o));
            PolicyCompiler.Contribution c;
            if (last == null || (last.policy() != o && !last.policy().equals(o)) || moved.concerns(last)) {
                c = compiler.compile(o);
                affected.addAll(c.selected());
                if (last != null) {
                    affected.addAll(last.selected());
                }
            } else {
                c = reselect(compiler, last, changedEndpoints, now);
            }
            list.add(c);
            kept.put(key(o), c);
        }
        contributions.forEach((k, last) -> {
            if (!kept.containsKey(k)) {
                affected.addAll(last.selected());
            }
        });
        Numbering n = Numbering.of(ordered, list::get, allowLocalhost);
        for (int i = 0; i < ordered.size(); i++) {
            if (!Objects.equals(numbering.byKey.get(key(ordered.get(i))), n.offsets[i])) {
                affected.addAll(list.get(i).selected()); // its rules were renumbered
            }
        }
        if (n.localhostRule != numbering.localhostRule) {
            affected.addAll(now.keySet());
        }
        affected.retainAll(now.keySet());
        numbering = n;
        contributions = kept;
        cidrs = nextCidrs;
        modes = nextModes;
        SortedMap<Integer, EndpointPolicy> endpoints = new TreeMap<>(result.endpoints());
        endpoints.keySet().retainAll(now.keySet());
        modeWarnings.keySet().retainAll(now.keySet());
        assemble(next, list, affected, endpoints);
        result = moved.tableChanged()
                ? new PolicyResult(table.infos(), table.ipcache, endpoints, n.rules, warnings(next, list), next, table.allocated(next))
                : new PolicyResult(result.identities(), result.ipcache(), endpoints, n.rules, warnings(next, list), next, result.allocated());
        moved.unnamed().forEach(allocator::release); // after the new references, as a full computation does
        return result;
    }

    /**
     * What moving the kept table to the next snapshot changed that compiled policies depend on: the endpoint
     * identities that came or went, the addresses of the regrouped identities and of the nodes (before and after,
     * when the nodes changed), the named prefixes that came or went; and the identities of those that went, whose
     * references are given back once the update has taken its own.
     */
    private record Moved(List<IdentityTable.EndpointIdentity> cameOrWent, List<byte[]> regrouped, List<byte[]> nodeAddresses,
                         Set<Cidr> renamed, List<Integer> unnamed, boolean tableChanged) {

        /** Whether a kept contribution's entries may depend on what changed (then the policy is compiled again). */
        boolean concerns(PolicyCompiler.Contribution c) {
            return c.blocksHoldAny(regrouped) || c.peersMatch(cameOrWent) || c.blocksHoldAny(nodeAddresses) || c.coversAny(renamed);
        }
    }

    /** Moves the table to the next endpoints and namespaces, then nodes, then named prefixes. */
    private Moved move(ClusterSnapshot next, Set<Cidr> nextCidrs, EndpointChanges changes, IdentityAllocator allocator) {
        IdentityTable.Regrouping regrouping = changes.none() ? IdentityTable.Regrouping.NONE : table.update(changes, allocator);
        boolean nodesChanged = !result.snapshot().nodes().equals(next.nodes());
        List<byte[]> nodeAddresses = nodesChanged ? table.updateNodes(next.nodes(), changes.position()) : List.of();
        Set<Cidr> came = minus(nextCidrs, cidrs);
        Set<Cidr> went = minus(cidrs, nextCidrs);
        List<Integer> unnamed = came.isEmpty() && went.isEmpty() ? List.of() : table.updatePrefixes(came, went, allocator);
        Set<Cidr> renamed = new HashSet<>(came);
        renamed.addAll(went);
        return new Moved(regrouping.cameOrWent(), regrouping.addresses(), nodeAddresses, renamed, unnamed,
                !changes.changed().isEmpty() || nodesChanged || !renamed.isEmpty());
    }

    /** The elements of {@code a} that are not in {@code b}. */
    private static <T> Set<T> minus(java.util.Collection<T> a, java.util.Collection<T> b) {
        Set<T> out = new HashSet<>(a);
        out.removeAll(new HashSet<>(b));
        return out;
    }

    /** The ids of the endpoints that a mode added, removed or changed since the last update covers, before or after. */
    private Set<Integer> coveredByChangedModes(List<PolicyObject> nextModes, java.util.Collection<Endpoint> endpoints) {
        Set<PolicyObject> changedModes = minus(modes, nextModes);
        changedModes.addAll(minus(nextModes, modes));
        Set<Integer> out = new HashSet<>();
        if (!changedModes.isEmpty()) {
            endpoints.forEach(ep -> {
                if (changedModes.stream().anyMatch(m -> ModeResolver.covers((PolicyMode) m, ep))) {
                    out.add(ep.id());
                }
            });
        }
        return out;
    }

    /** A kept contribution whose selection follows the changed endpoints (the same object when it does not change). */
    private static PolicyCompiler.Contribution reselect(PolicyCompiler compiler, PolicyCompiler.Contribution c,
                                                        Set<Integer> changedEndpoints, Map<Integer, Endpoint> now) {
        if (changedEndpoints.isEmpty()) {
            return c;
        }
        Set<Integer> selected = new java.util.LinkedHashSet<>(c.selected());
        for (int id : changedEndpoints) {
            Endpoint ep = now.get(id);
            if (ep != null && compiler.selects(c.policy(), ep)) {
                selected.add(id);
            } else {
                selected.remove(id);
            }
        }
        return selected.equals(c.selected()) ? c : c.selecting(selected);
    }

    /** Assembles the endpoints {@code ids} from the contributions that select them, into {@code out}. */
    private void assemble(ClusterSnapshot snap, List<PolicyCompiler.Contribution> list, Set<Integer> ids,
                          SortedMap<Integer, EndpointPolicy> out) {
        Map<Integer, List<Integer>> selecting = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Set<Integer> selected = list.get(i).selected();
            int index = i;
            if (selected.size() <= ids.size()) {
                selected.forEach(ep -> {
                    if (ids.contains(ep)) {
                        selecting.computeIfAbsent(ep, k -> new ArrayList<>()).add(index);
                    }
                });
            } else {
                ids.forEach(ep -> {
                    if (selected.contains(ep)) {
                        selecting.computeIfAbsent(ep, k -> new ArrayList<>()).add(index);
                    }
                });
            }
        }
        List<List<PolicyEntry>> numbered = new ArrayList<>(java.util.Collections.nCopies(list.size(), null));
        List<String> warned = new ArrayList<>();
        ModeResolver modes = new ModeResolver(snap.policies(), warned::add);
        for (Endpoint ep : snap.endpoints()) {
            if (ids.contains(ep.id())) {
                warned.clear();
                PolicyMode mode = modes.modeOf(ep);
                modeWarnings.put(ep.id(), List.copyOf(warned));
                out.put(ep.id(), endpointPolicy(ep, mode, selecting.getOrDefault(ep.id(), List.of()), list, numbered));
            }
        }
        assembled = ids.size();
    }

    /**
     * One endpoint's policy from the contributions that select it ({@code selecting}: indexes into {@code list}).
     * {@code numbered} holds each contribution's entries with global rule numbers, filled as needed.
     */
    private EndpointPolicy endpointPolicy(Endpoint ep, PolicyMode mode, List<Integer> selecting, List<PolicyCompiler.Contribution> list,
                                          List<List<PolicyEntry>> numbered) {
        int identity = table.byEndpoint.get(ep.id());
        if (mode.enforcement() == PolicyMode.Enforcement.NEVER) {
            return new EndpointPolicy(identity, false, false, false, false, List.of());
        }
        boolean[] iso = new boolean[2];
        List<PolicyEntry> raw = new ArrayList<>();
        for (int i : selecting) {
            PolicyCompiler.Contribution c = list.get(i);
            for (Direction d : Direction.values()) {
                iso[d.ordinal()] |= c.isolates(d);
            }
            List<PolicyEntry> entries = numbered.get(i);
            if (entries == null) {
                int offset = numbering.offsets[i];
                entries = offset == 0 ? c.entries()
                        : c.entries().stream().map(e -> e.with(e.family(), e.ports(), e.action(), e.rule() + offset)).toList();
                numbered.set(i, entries);
            }
            raw.addAll(entries);
        }
        boolean always = mode.enforcement() == PolicyMode.Enforcement.ALWAYS;
        boolean ingress = always || iso[0];
        if (numbering.localhostRule != 0 && ingress) {
            raw.add(new PolicyEntry(Direction.INGRESS, Identities.HOST, null, null, null, Action.ALLOW, numbering.localhostRule));
        }
        return new EndpointPolicy(identity, ingress, always || iso[1], mode.audit(), mode.audit(), DenyPropagation.apply(raw));
    }

    /** The contributions' warnings in policy order, then the endpoints' mode warnings in endpoint order, once each. */
    private List<String> warnings(ClusterSnapshot snap, List<PolicyCompiler.Contribution> list) {
        List<String> out = new ArrayList<>();
        list.forEach(c -> out.addAll(c.warnings()));
        snap.endpoints().forEach(ep -> out.addAll(modeWarnings.getOrDefault(ep.id(), List.of())));
        return out.stream().distinct().toList();
    }

    private static boolean uniqueKeys(List<PolicyObject> ordered) {
        Set<String> seen = new HashSet<>();
        return ordered.stream().allMatch(o -> seen.add(key(o)));
    }

    private static String key(PolicyObject o) {
        return o.kind() + "/" + (o.namespace() == null ? "" : o.namespace()) + "/" + o.name();
    }

    /**
     * The rule table across policies: a policy's local rule {@code i} is {@code offset + i}, offsets in policy
     * order (by position, and by policy key for the comparison with the last update); then the reserved rule
     * that lets the host in, when the engine has it.
     */
    private record Numbering(int[] offsets, Map<String, Integer> byKey, List<RuleRef> rules, int localhostRule) {

        static Numbering of(List<PolicyObject> ordered, java.util.function.IntFunction<PolicyCompiler.Contribution> contribution,
                            boolean allowLocalhost) {
            int[] offsets = new int[ordered.size()];
            Map<String, Integer> byKey = new HashMap<>();
            List<RuleRef> rules = new ArrayList<>();
            for (int i = 0; i < ordered.size(); i++) {
                int offset = rules.size();
                offsets[i] = offset;
                byKey.put(key(ordered.get(i)), offset);
                for (RuleRef r : contribution.apply(i).rules()) {
                    rules.add(new RuleRef(offset + r.id(), r.kind(), r.namespace(), r.name(), r.path()));
                }
            }
            int localhost = 0;
            if (allowLocalhost) {
                rules.add(new RuleRef(rules.size() + 1, "reserved", null, PolicyEngine.ALLOW_LOCALHOST, ""));
                localhost = rules.size();
            }
            return new Numbering(offsets, byKey, rules, localhost);
        }
    }
}
