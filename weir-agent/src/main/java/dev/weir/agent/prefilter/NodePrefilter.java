package dev.weir.agent.prefilter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

import dev.weir.ebpf.BpfException;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * A node agent's prefilter: makes the node's XDP prefilter what the {@link WeirPrefilter} objects that select
 * it ask ({@link NodePrefilterSpec}), through the same {@link PrefilterManager} and dataplane as
 * {@code weir prefilter} (rules written to the idle generation, then one flip). Its pins live apart from the
 * standalone prefilter's, in {@code /sys/fs/bpf/weir/<node>/prefilter/} (links in {@code links/}), its rule
 * ids and attachments in {@code <run-dir>/prefilter/state.json}: both outlive the agent, so a restarted agent
 * finds the program attached and the counters where they were, and changes nothing when nothing changed.
 * It detaches only what it attached (its own link pins).
 *
 * <p>{@link #apply} runs on the sync loop's thread only; {@link #status} on any thread.
 */
public final class NodePrefilter {

    /** The scope name of the agent's state file under its run directory. */
    public static final String SCOPE = "prefilter";

    private final String node;
    private final Path pinDir;
    private final PrefilterStore store;
    private final Function<String, PrefilterDataplane> dataplanes;
    private final Consumer<String> log;
    private volatile Bound bound;
    private volatile NodePrefilterSpec applied = NodePrefilterSpec.NONE;

    /** The dataplane of the node's namespace, and the manager over it. */
    private record Bound(String netns, PrefilterDataplane dataplane, PrefilterManager manager) {
    }

    /**
     * The kernel's: pins in {@code pinDir}, state in {@code runDir/prefilter/state.json}.
     *
     * @param pinDir {@code /sys/fs/bpf/weir/<node>/prefilter}
     * @param runDir the agent's run directory
     */
    public static NodePrefilter kernel(String node, Path pinDir, Path runDir, Consumer<String> log) {
        return new NodePrefilter(node, pinDir, new PrefilterStore(runDir),
                netns -> new KernelPrefilterDataplane(node, netns == null ? NetworkNamespace.current()
                        : NetworkNamespace.named(netns), pinDir, pinDir.getParent()), log);
    }

    /** @param dataplanes the dataplane for a network namespace name (null: the agent's own) */
    public NodePrefilter(String node, Path pinDir, PrefilterStore store, Function<String, PrefilterDataplane> dataplanes,
                         Consumer<String> log) {
        this.node = node;
        this.pinDir = pinDir;
        this.store = store;
        this.dataplanes = dataplanes;
        this.log = log;
    }

    /**
     * Makes the node's prefilter {@code spec}, in the network namespace {@code netns} (null: the agent's own):
     * detaches the interfaces no object names any more (or whose XDP mode changed), writes rules and settings
     * (one generation flip; rules that stay keep ids and counters), attaches the new interfaces. With no object
     * selecting the node, removes everything it attached, its pins and its state.
     *
     * @throws IllegalStateException naming the interfaces it could not attach (the rest is done)
     */
    public void apply(NodePrefilterSpec spec, String netns) {
        apply(spec, netns, List.of());
    }

    /**
     * As {@link #apply(NodePrefilterSpec, String)}, then the redirect stage's maps: with {@code spec.redirect} on,
     * the attached interfaces and the node's pods {@code local} (written from the node's network namespace, only
     * what changed: pods that came or went); off, emptied.
     */
    public void apply(NodePrefilterSpec spec, String netns, List<RedirectPod> local) {
        try {
            applySpec(spec, netns);
        } finally {
            redirect(spec, netns, local);
        }
    }

    private void redirect(NodePrefilterSpec spec, String netns, List<RedirectPod> local) {
        if (bound == null && !spec.selected()) {
            return;
        }
        Bound b = bind(netns);
        if (!b.dataplane().loaded()) {
            return;
        }
        boolean on = spec.selected() && spec.settings().redirect();
        List<String> ifaces = spec.interfaces().stream().filter(attachments()::containsKey).toList();
        int n = b.dataplane().redirect(ifaces, on ? local : null);
        if (n > 0) {
            log.accept("prefilter: redirect stage " + (on ? "on for " + local.size() + " local pods" : "off")
                    + " (" + n + " map entries written or deleted)");
        }
    }

    private void applySpec(NodePrefilterSpec spec, String netns) {
        if (!spec.selected() && store.load(SCOPE).isEmpty() && !java.nio.file.Files.exists(pinDir)) {
            applied = spec;   // nothing selects the node and nothing of it is here: nothing to look at
            return;
        }
        Bound b = bind(netns);
        if (spec.equals(applied) && attachedAsWanted(b, spec)) {
            return;
        }
        Optional<PrefilterState> saved = store.load(SCOPE);
        if (saved.isEmpty() && b.dataplane().loaded()) {
            log.accept("prefilter: pins in " + pinDir + " without their state; starting over");
            b.manager().purge();
        }
        if (!spec.selected()) {
            if (saved.isPresent() || b.dataplane().loaded() || !b.dataplane().attached().isEmpty()) {
                b.manager().purge();
                log.accept("prefilter: no WeirPrefilter selects " + node + " any more: detached, pins and state removed");
            }
            applied = spec;
            return;
        }
        detachUnwanted(b, spec);
        b.manager().replace(spec.settings(), spec.rules());
        List<String> problems = attachWanted(b, spec);
        applied = spec;
        log.accept("prefilter: " + spec.summary());
        if (!problems.isEmpty()) {
            throw new IllegalStateException("prefilter of " + node + ": " + String.join("; ", problems));
        }
    }

    private Bound bind(String netns) {
        Bound b = bound;
        if (b == null || !java.util.Objects.equals(b.netns(), netns)) {
            PrefilterDataplane dp = dataplanes.apply(netns);
            b = new Bound(netns, dp, new PrefilterManager(SCOPE, store, dp));
            bound = b;
        }
        return b;
    }

    private Map<String, String> attachments() {
        return store.load(SCOPE).map(PrefilterState::attachments).orElse(Map.of());
    }

    private boolean attachedAsWanted(Bound b, NodePrefilterSpec spec) {
        return new TreeSet<>(attachments().keySet()).equals(new TreeSet<>(spec.interfaces()))
                && b.dataplane().attached().size() == spec.interfaces().size();
    }

    /** Detaches the interfaces no object names, those in another XDP mode than wanted, and stray link pins. */
    private void detachUnwanted(Bound b, NodePrefilterSpec spec) {
        Map<String, String> att = attachments();
        TreeSet<String> names = new TreeSet<>(att.keySet());
        java.util.Set<String> pinned = new java.util.HashSet<>();
        att.keySet().forEach(i -> pinned.add(i.replace('.', '_')));   // link pins name dots '_' (bpffs)
        b.dataplane().attached().stream().filter(p -> !pinned.contains(p)).forEach(names::add);
        for (String iface : names) {
            String used = att.get(iface);
            boolean keep = used != null && spec.interfaces().contains(iface)
                    && (spec.xdpMode().equals("auto") || spec.xdpMode().equals(used));
            if (keep) {
                continue;
            }
            if (used == null) {
                b.dataplane().detach(iface);
            } else {
                b.manager().detach(iface);
            }
            log.accept("prefilter: detached from " + iface + (used == null ? " (a link pin without state)" : ""));
        }
    }

    /** Attaches the wanted interfaces not attached yet; returns what failed (missing interfaces, a busy XDP hook). */
    private List<String> attachWanted(Bound b, NodePrefilterSpec spec) {
        List<String> problems = new ArrayList<>();
        Map<String, String> att = attachments();
        for (String iface : spec.interfaces()) {
            if (att.containsKey(iface)) {
                continue;
            }
            try {
                String used = b.manager().attach(iface, spec.xdpMode(), Capacity.DEFAULT);
                log.accept("prefilter: attached to " + iface + " in " + used + " mode");
            } catch (IllegalArgumentException | BpfException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    /**
     * Checks that an interface exists in the node's network namespace {@code netns} (null: the agent's own),
     * before an edit names it.
     *
     * @throws IllegalArgumentException naming the interface and the namespace
     */
    public void checkInterface(String netns, String iface) {
        dataplanes.apply(netns).checkInterface(iface);
    }

    /** What the selecting objects asked, as last applied (cheap: no file or map read). */
    public NodePrefilterSpec applied() {
        return applied;
    }

    /**
     * What the node's prefilter is now: the spec last applied, the saved state (rule ids, attachments), and
     * the counters of the pinned maps (empty when nothing is loaded).
     */
    public Status status() {
        Bound b = bound;
        NodePrefilterSpec spec = applied;
        Optional<PrefilterState> state = store.load(SCOPE);
        if (b == null || !b.dataplane().loaded()) {
            return new Status(node, b == null ? null : b.netns(), pinDir, spec, state, Map.of(), Map.of(), Map.of());
        }
        return new Status(node, b.netns(), pinDir, spec, state, b.manager().reasonCounters(),
                b.manager().wouldDropCounters(), b.manager().ruleCounters(), b.manager().tcpCounters(),
                b.manager().redirectCounters());
    }

    /**
     * The node's prefilter as {@code weir prefilter list|stats} show it.
     *
     * @param netns   the node's network namespace (null: the agent's own, or not known yet)
     * @param pinDir  where the maps are pinned ({@code pf_events} for {@code weir prefilter events})
     * @param spec    what the selecting objects ask, as last applied
     * @param state   rule ids, settings and attachments, when anything is saved
     * @param reasons per reason code {packets, bytes}
     * @param wouldDrop dry-run drops (passed) per reason code {packets, bytes}
     * @param rules   per rule id (0: unattributed) {packets, bytes}
     * @param tcp     per-CPU TCP counters: entry (0 SYNs, 1 cookies sent, 2 valid cookie ACKs) to packets per CPU
     * @param redirect the redirect stage's counters ({@code pf_rdr_stats}): outcome ({@code PrefilterMaps.RDR_*}) to
     *                 {packets, bytes}
     */
    public record Status(String node, String netns, Path pinDir, NodePrefilterSpec spec, Optional<PrefilterState> state,
                         Map<Integer, long[]> reasons, Map<Integer, long[]> wouldDrop, Map<Integer, long[]> rules,
                         Map<Integer, long[]> tcp, Map<Integer, long[]> redirect) {

        /** Without redirect counters. */
        public Status(String node, String netns, Path pinDir, NodePrefilterSpec spec, Optional<PrefilterState> state,
                      Map<Integer, long[]> reasons, Map<Integer, long[]> wouldDrop, Map<Integer, long[]> rules,
                      Map<Integer, long[]> tcp) {
            this(node, netns, pinDir, spec, state, reasons, wouldDrop, rules, tcp, Map.of());
        }

        /** Without TCP counters. */
        public Status(String node, String netns, Path pinDir, NodePrefilterSpec spec, Optional<PrefilterState> state,
                      Map<Integer, long[]> reasons, Map<Integer, long[]> wouldDrop, Map<Integer, long[]> rules) {
            this(node, netns, pinDir, spec, state, reasons, wouldDrop, rules, Map.of());
        }
    }
}
