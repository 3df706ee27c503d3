package dev.weir.cli.diagnose;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The checks about nodes and agents: agents up and in sync, "pod to pod fails only across nodes" (routes to
 * remote pods, MTUs, remote node health), clock and version skew, "high CPU in the agent", and lost flow
 * events. Pure functions of {@link Facts}.
 */
final class ClusterChecks {

    static final String AGENTS = "agents";
    static final String CROSS_NODE = "cross-node";
    static final String SKEW = "skew";
    static final String CPU = "agent-cpu";
    static final String LOST = "lost-events";

    /** A CPU share above this, in cores, is worth a look. */
    static final double CPU_WARN_CORES = 0.8;
    /** A mean sync step above this is worth a look. */
    static final double SYNC_WARN_SECONDS = 1.0;
    /** A heartbeat this far ahead of this host's clock is skew. */
    static final Duration CLOCK_AHEAD = Duration.ofSeconds(5);
    /** A heartbeat older than this is a node whose agent stopped writing. */
    static final Duration HEARTBEAT_STALE = Duration.ofSeconds(60);

    private ClusterChecks() {
    }

    static Check agents(Facts f) {
        Findings out = new Findings();
        if (f.agents().isEmpty()) {
            return out.fail("no agent runs on this machine (weir agent --node NAME, or weir lab up)")
                    .check(AGENTS, "agents down or out of sync", "");
        }
        for (Facts.Agent a : f.agents()) {
            if (!a.up()) {
                out.fail(a.node() + ": agent does not answer: " + a.error());
            } else if (a.error() != null) {
                out.fail(a.node() + ": sync error: " + a.error());
            } else {
                out.see(a.node() + ": up, pid " + a.pid() + ", since " + a.startedAt() + ", " + a.pods().stream()
                        .filter(Facts.Pod::local).count() + " local pods");
            }
        }
        return out.check(AGENTS, "agents down or out of sync", f.agents().size() + " agents answer, none with a sync error");
    }

    /** Routes from each node to the other nodes' pods, the interfaces' MTUs, and the other nodes' health. */
    static Check crossNode(Facts f) {
        Findings out = new Findings();
        Set<String> nodes = new TreeSet<>();
        f.agents().forEach(a -> nodes.add(a.node()));
        f.agents().forEach(a -> a.pods().forEach(p -> nodes.add(p.node())));
        if (nodes.size() < 2) {
            return out.skipped(CROSS_NODE, "pod to pod fails only across nodes", "one node (" + String.join("", nodes)
                    + "): no path crosses nodes");
        }
        routes(f, out);
        mtus(f, out);
        for (Facts.Agent a : f.agents()) {
            if (!a.up() || a.error() != null) {
                out.fail("node " + a.node() + ": " + (a.up() ? "sync error: " : "agent down: ") + a.error());
            }
        }
        for (Facts.NodeRecord r : f.records()) {
            Instant beat = instant(r.heartbeat());
            if (beat != null && beat.isBefore(f.now().minus(HEARTBEAT_STALE))) {
                out.fail("node " + r.name() + " on " + r.host() + ": last heartbeat " + r.heartbeat() + " ("
                        + Duration.between(beat, f.now()).toSeconds() + " s ago)");
            }
        }
        return out.check(CROSS_NODE, "pod to pod fails only across nodes", "every node routes every other node's pods,"
                + " MTUs agree and the nodes are healthy");
    }

    private static void routes(Facts f, Findings out) {
        Map<String, Integer> ok = new TreeMap<>();
        for (Facts.Route r : f.routes()) {
            if (r.via() == null) {
                out.fail(r.node() + " has no route to " + r.address() + " (" + r.pod() + " on " + r.podNode() + ")");
            } else {
                ok.merge(r.node() + " -> " + r.podNode() + " " + r.via(), 1, Integer::sum);
            }
        }
        ok.forEach((k, n) -> out.see(k + " (" + n + " pod addresses)"));
        if (f.routes().isEmpty()) {
            out.see("no routes read (no node namespace known)");
        }
    }

    private static void mtus(Facts f, Findings out) {
        Map<String, Integer> underlay = new TreeMap<>();
        f.mtus().stream().filter(Facts.Mtu::underlay).forEach(m -> underlay.put(m.node() + "/" + m.iface(), m.mtu()));
        if (underlay.isEmpty()) {
            return;
        }
        int min = underlay.values().stream().min(Integer::compare).orElseThrow();
        out.see("underlay MTUs " + underlay);
        if (underlay.values().stream().distinct().count() > 1) {
            out.warn("the nodes' underlay MTUs differ " + underlay + ": packets above " + min + " bytes are lost between them");
        }
        Map<Integer, Long> pods = f.mtus().stream().filter(m -> !m.underlay())
                .collect(Collectors.groupingBy(Facts.Mtu::mtu, TreeMap::new, Collectors.counting()));
        out.see("pod interfaces by MTU " + pods);
        f.mtus().stream().filter(m -> !m.underlay() && m.mtu() > min).forEach(m ->
                out.warn(m.node() + ": " + m.iface() + " MTU " + m.mtu() + " is above the underlay's " + min
                        + ": large packets to other nodes are dropped or fragmented"));
    }

    /** Versions (agents, node records, this CLI) and clocks (node records' heartbeats against this host's). */
    static Check skew(Facts f) {
        Findings out = new Findings();
        Map<String, String> versions = new TreeMap<>();
        f.agents().stream().filter(a -> a.version() != null).forEach(a -> versions.put(a.node(), a.version()));
        f.records().stream().filter(r -> r.version() != null).forEach(r -> versions.putIfAbsent(r.name(), r.version()));
        versions.put("cli", f.cliVersion());
        out.see("versions " + versions);
        if (versions.values().stream().distinct().count() > 1) {
            out.warn("weir versions differ: " + versions);
        }
        if (f.records().isEmpty()) {
            out.see("no node records (file store): every agent runs on this host and reads its clock");
        }
        for (Facts.NodeRecord r : f.records()) {
            Instant beat = instant(r.heartbeat());
            if (beat == null) {
                out.warn("node " + r.name() + ": heartbeat '" + r.heartbeat() + "' is not a time");
                continue;
            }
            Duration ahead = Duration.between(f.now(), beat);
            out.see(r.name() + " on " + r.host() + ": heartbeat " + r.heartbeat() + " (" + (-ahead.toMillis()) + " ms ago)");
            if (ahead.compareTo(CLOCK_AHEAD) > 0) {
                out.warn("node " + r.name() + " on " + r.host() + ": its clock is " + ahead.toSeconds()
                        + " s ahead of this host's (heartbeat " + r.heartbeat() + ")");
            }
        }
        return out.check(SKEW, "clock or version skew between nodes", "one weir version, clocks agree");
    }

    /** The agents' CPU over the sample and since start, and their mean sync durations. */
    static Check cpu(Facts f) {
        Findings out = new Findings();
        if (f.upAgents().isEmpty()) {
            return out.skipped(CPU, "high CPU in the agent", "no agent answered");
        }
        for (Facts.Agent a : f.upAgents()) {
            StringBuilder line = new StringBuilder(a.node() + ": ");
            line.append(a.cpuCores() < 0 ? "CPU now unknown" : String.format("%.2f cores now", a.cpuCores()));
            line.append(String.format(", %.1f s CPU since %s", a.cpuSeconds(), a.startedAt()));
            if (a.syncCount() > 0) {
                line.append(", ").append(a.syncCount()).append(" syncs, mean");
                new TreeMap<>(a.syncSeconds()).forEach((step, s) ->
                        line.append(String.format(" %s %.1f ms", step, 1000 * s / a.syncCount())));
            }
            out.see(line.toString());
            if (a.cpuCores() >= CPU_WARN_CORES) {
                out.warn(String.format("%s: the agent used %.2f cores over the sample", a.node(), a.cpuCores()));
            }
            a.syncSeconds().forEach((step, s) -> {
                if (a.syncCount() > 0 && s / a.syncCount() > SYNC_WARN_SECONDS) {
                    out.warn(String.format("%s: the sync's %s step takes %.2f s on average", a.node(), step, s / a.syncCount()));
                }
            });
        }
        return out.check(CPU, "high CPU in the agent", "the agents are idle enough and sync quickly");
    }

    static Check lostEvents(Facts f) {
        Findings out = new Findings();
        for (Facts.Agent a : f.upAgents()) {
            out.see(a.node() + ": lost in the kernel's ring buffer " + a.kernelLost() + ", by slow followers " + a.followerLost());
            if (a.kernelLost() > 0) {
                out.warn(a.node() + ": " + a.kernelLost() + " flow events lost in the kernel (ring buffer full)");
            }
            if (a.followerLost() > 0) {
                out.warn(a.node() + ": " + a.followerLost() + " flow events lost by slow observe --follow clients");
            }
        }
        return out.check(LOST, "lost flow events", "no flow event was lost");
    }

    private static Instant instant(String text) {
        try {
            return text == null ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
