package dev.weir.cli.diagnose;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checks about programs on hooks and the kernel: "tcpdump sees nothing" (XDP programs and their drops),
 * foreign programs on weir's hooks, and "verifier rejection after an upgrade" (what weir's objects need against
 * the kernel's feature probes). Pure functions of {@link Facts}.
 */
final class HookChecks {

    static final String XDP = "xdp-drops";
    static final String FOREIGN = "foreign-programs";
    static final String VERIFIER = "kernel-features";

    private HookChecks() {
    }

    /** XDP runs before tcpdump's tap: weir's prefilter drops (counted per reason) and any foreign XDP program. */
    static Check xdp(Facts f) {
        Findings out = new Findings();
        for (Facts.Agent a : f.agents()) {
            if (a.prefilter().attachments().isEmpty()) {
                continue;
            }
            long dropped = a.prefilter().drops().values().stream().mapToLong(Long::longValue).sum();
            out.see(a.node() + ": weir's prefilter on " + a.prefilter().attachments() + ", drops by reason "
                    + new TreeMap<>(a.prefilter().drops()));
            if (dropped > 0) {
                out.warn(a.node() + ": weir's prefilter dropped " + dropped + " packets at XDP, before tcpdump sees them"
                        + " (weir prefilter stats/events --netns " + a.netns() + ")");
            }
        }
        for (Facts.Hook h : f.hooks()) {
            if (h.hook().startsWith("xdp") && !h.weir()) {
                out.warn(h.node() + ": " + h.target() + " has a foreign XDP program " + h.progId() + " " + h.progName()
                        + " (" + h.hook() + "): whatever it drops, neither tcpdump nor weir sees");
            } else if (h.hook().startsWith("xdp")) {
                out.see(h.node() + ": " + h.target() + " " + h.hook() + " program " + h.progId() + " " + h.progName() + " (weir)");
            }
        }
        return out.check(XDP, "tcpdump sees nothing", "no XDP program drops packets unseen on the nodes' interfaces");
    }

    /** Programs on weir's interfaces and cgroups that weir did not attach (no pinned weir link holds them). */
    static Check foreign(Facts f) {
        Findings out = new Findings();
        int ours = 0;
        java.util.Set<String> targets = new java.util.TreeSet<>();
        for (Facts.Hook h : f.hooks()) {
            if (!h.weirs()) {
                continue;
            }
            targets.add(h.node() + ":" + h.target());
            if (h.weir()) {
                ours++;
            } else {
                out.fail(h.node() + ": " + h.target() + " " + h.hook() + ": program " + h.progId() + " " + h.progName()
                        + " was not attached by weir" + (h.netns() == null ? "" : " (netns " + h.netns() + ")"));
            }
        }
        out.see(ours + " attachments of weir's programs on " + targets.size() + " interfaces and cgroups weir uses");
        if (targets.isEmpty()) {
            return out.skipped(FOREIGN, "foreign programs on weir's hooks", "no interface or cgroup of weir's was found");
        }
        return out.check(FOREIGN, "foreign programs on weir's hooks",
                "every program on weir's interfaces and cgroups was attached by weir");
    }

    /** Each program and map type weir's objects use, as the kernel's probes answer. */
    static Check verifier(Facts f) {
        Findings out = new Findings();
        if (f.needs().isEmpty()) {
            return out.skipped(VERIFIER, "verifier rejection after an upgrade", "weir's BPF objects could not be read");
        }
        Map<String, List<String>> byObject = new TreeMap<>();
        for (Facts.Need n : f.needs()) {
            byObject.computeIfAbsent(n.object(), k -> new java.util.ArrayList<>()).add(n.feature() + " " + n.status());
            switch (n.status()) {
                case "supported" -> { }
                case "unsupported" -> {
                    String what = n.object() + " needs " + n.feature() + ": unsupported (" + n.detail() + ")";
                    if (n.required()) {
                        out.fail(what);
                    } else {
                        out.warn(what + "; weir falls back");
                    }
                }
                default -> out.warn(n.object() + " needs " + n.feature() + ": probe inconclusive (" + n.detail() + ")");
            }
        }
        byObject.forEach((o, l) -> out.see(o + ": " + String.join(", ", l)));
        return out.check(VERIFIER, "verifier rejection after an upgrade",
                "the kernel has every program type, map type and hook weir's objects need (" + f.needs().size() + " probed)");
    }
}
