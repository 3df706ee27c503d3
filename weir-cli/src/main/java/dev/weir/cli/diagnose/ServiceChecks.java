package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks about services and the tables behind them: "service IP fails but pod IP works" (frontends in the
 * agent's view against {@code lb_svc}, backends and their states, which paths translate), "only new connections
 * fail" (conntrack fill and insertion failures) and map pressure. Pure functions of {@link Facts}.
 */
final class ServiceChecks {

    static final String SERVICES = "services";
    static final String NEW_CONNECTIONS = "new-connections";
    static final String PRESSURE = "map-pressure";

    /** Fill levels: worth a look, and full (for maps that refuse inserts when full). */
    static final double WARN_FILL = 0.8;
    static final double FULL = 0.95;
    /** Hubble's name of the drop when conntrack cannot take a new connection. */
    static final String CT_FULL_DROP = "CT_MAP_INSERTION_FAILED";

    private ServiceChecks() {
    }

    static Check services(Facts f) {
        Findings out = new Findings();
        int frontends = 0;
        for (Facts.Agent a : f.upAgents()) {
            out.see(a.node() + ": service translation " + a.serviceLb() + ", " + a.services().size()
                    + " frontends in the agent's view, " + a.lbFrontends().size() + " in lb_svc, conntrack "
                    + a.ctEntries() + (a.ctCapacity() > 0 ? "/" + a.ctCapacity() : ""));
            Set<String> inMaps = new TreeSet<>(a.lbFrontends());
            Set<String> inView = new TreeSet<>();
            for (Facts.Service s : a.services()) {
                frontends++;
                String key = frontendKey(s.frontend(), s.protocol());
                inView.add(key);
                if (!inMaps.contains(key)) {
                    out.fail(a.node() + ": " + s.service() + " " + key + " is in the agent's view but not in lb_svc"
                            + " (weir bpf lb list --node " + a.node() + ")");
                }
                List<String> active = s.backends().stream().filter(b -> state(b).equals("active")).toList();
                if (active.isEmpty()) {
                    out.warn(a.node() + ": " + s.service() + " " + key + " has no active backend " + s.backends()
                            + ": new connections to it are refused");
                } else if (active.size() < s.backends().size()) {
                    out.see(a.node() + ": " + s.service() + " " + key + " backends " + s.backends());
                }
            }
            inMaps.stream().filter(k -> !inView.contains(k)).forEach(k ->
                    out.warn(a.node() + ": lb_svc holds " + k + ", which no stored Service gives (stale entry)"));
            socketLb(f, a, out);
        }
        return out.check(SERVICES, "service IP fails but pod IP works", frontends == 0 ? "no Service is stored"
                : "every frontend is in the maps with an active backend (" + frontends + " frontends)");
    }

    /**
     * With the socket LB on, every local pod's cgroup carries weir's connect hook (bpftool names the attach type
     * {@code cgroup_inet4_connect}, or {@code connect4}); else TC alone translates.
     */
    private static void socketLb(Facts f, Facts.Agent a, Findings out) {
        if (!a.serviceLb().startsWith("socket")) {
            return;
        }
        for (Facts.Pod p : a.pods()) {
            if (!p.local() || p.cgroup() == null) {
                continue;
            }
            boolean hooked = f.hooks().stream().anyMatch(h -> h.weir() && h.target().equals(p.cgroup())
                    && (h.hook().contains("connect4") || h.hook().contains("inet4_connect")));
            if (!hooked) {
                out.warn(a.node() + ": the socket LB is on but " + p.key() + "'s cgroup " + p.cgroup()
                        + " has no connect4 hook of weir's: only TC translates its service traffic");
            }
        }
    }

    /** {@code 10.96.0.10:80/TCP} or {@code [fd00::a]:80/TCP}, from the view's {@code address:port}. */
    static String frontendKey(String frontend, String protocol) {
        int colon = frontend.lastIndexOf(':');
        String addr = frontend.substring(0, colon).replace("[", "").replace("]", "");
        String port = frontend.substring(colon + 1);
        return (addr.contains(":") ? "[" + addr + "]" : addr) + ":" + port + "/" + protocol.toUpperCase(Locale.ROOT);
    }

    /** The state word of {@code 10.244.1.10:80 active (x/a)}. */
    private static String state(String backend) {
        String[] parts = backend.split(" ");
        return parts.length > 1 ? parts[1] : "";
    }

    static Check newConnections(Facts f) {
        Findings out = new Findings();
        if (f.upAgents().isEmpty()) {
            return out.skipped(NEW_CONNECTIONS, "only new connections fail", "no agent answered");
        }
        for (Facts.Agent a : f.upAgents()) {
            double ctFull = a.drops().getOrDefault(CT_FULL_DROP, 0.0);
            out.see(a.node() + ": conntrack " + a.ctEntries() + (a.ctCapacity() > 0 ? " of " + a.ctCapacity() + String.format(
                    " (%.1f%%)", 100.0 * a.ctEntries() / a.ctCapacity()) : "") + ", " + CT_FULL_DROP + " drops " + (long) ctFull);
            if (ctFull > 0) {
                out.fail(a.node() + ": " + (long) ctFull + " new connections dropped because conntrack was full (" + CT_FULL_DROP + ")");
            }
            if (a.ctCapacity() > 0) {
                double fill = (double) a.ctEntries() / a.ctCapacity();
                if (fill >= FULL) {
                    out.fail(String.format("%s: conntrack is %.0f%% full: new connections can be refused", a.node(), 100 * fill));
                } else if (fill >= WARN_FILL) {
                    out.warn(String.format("%s: conntrack is %.0f%% full", a.node(), 100 * fill));
                }
            }
        }
        return out.check(NEW_CONNECTIONS, "only new connections fail", "conntrack has room and refused no connection");
    }

    /**
     * The fill of weir's pinned maps as the kernel counts them now, and the agents' {@code weir_bpf_map_pressure}
     * for the maps the kernel count did not cover (the agents count every pinned map too, a few seconds late).
     */
    static Check mapPressure(Facts f) {
        Findings out = new Findings();
        record Fill(String what, double fill, boolean lru) {
        }
        List<Fill> fills = new ArrayList<>();
        java.util.Set<String> counted = new java.util.HashSet<>();
        f.maps().forEach(m -> counted.add(m.node() + "/" + m.name()));
        for (Facts.Agent a : f.agents()) {
            a.pressure().forEach((m, p) -> {
                if (!counted.contains(a.node() + "/" + m)) {
                    fills.add(new Fill(a.node() + ": " + m + " (weir_bpf_map_pressure)", p, false));
                }
            });
        }
        for (Facts.MapFill m : f.maps()) {
            if (m.maxEntries() > 0) {
                fills.add(new Fill(m.node() + ": " + m.name() + " " + m.entries() + "/" + m.maxEntries(),
                        (double) m.entries() / m.maxEntries(), m.type().startsWith("lru")));
            }
        }
        if (fills.isEmpty()) {
            return out.skipped(PRESSURE, "map pressure", "no map fill could be read");
        }
        fills.sort(Comparator.comparingDouble(Fill::fill).reversed());
        fills.stream().limit(5).forEach(x -> out.see(String.format("%s %.1f%%", x.what(), 100 * x.fill())));
        for (Fill x : fills) {
            String line = String.format("%s is %.0f%% full", x.what(), 100 * x.fill());
            if (x.fill() >= FULL && !x.lru()) {
                out.fail(line + ": inserts fail");
            } else if (x.fill() >= WARN_FILL) {
                out.warn(line + (x.lru() ? ": an LRU map evicts its oldest entries" : ""));
            }
        }
        return out.check(PRESSURE, "map pressure", String.format("every map below %.0f%% (%d read)", 100 * WARN_FILL, fills.size()));
    }
}
