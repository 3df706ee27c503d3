package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.weir.agent.net.PortRange;

/**
 * Makes the longest match carry the verdict (docs/policy-datapath.md, "deny propagation"). Within one
 * lookup (same direction and peer identity) an allow entry that a deny covers at the same or a shorter
 * prefix would hide the deny; the part of the allow the deny covers is rewritten as a deny (with the
 * deny's rule), the rest stays an allow with the same key shape. A deny more specific than an allow
 * needs nothing: it is the longer match. Then entries with equal keys are merged (a deny beats an allow,
 * the lower rule id wins among equals: {@link Precedence}) and sorted. The only deny propagation: the map
 * writer's keys ({@link PolicyPrefixes}) come from its output. Stateless.
 */
final class DenyPropagation {

    private static final Set<Integer> BOTH = Set.of(4, 6);

    private DenyPropagation() {
    }

    static List<PolicyEntry> apply(List<PolicyEntry> in) {
        if (in.stream().noneMatch(e -> e.action() == Action.DENY)) {
            return merge(in);
        }
        Map<Long, List<PolicyEntry>> lookups = new LinkedHashMap<>();
        for (PolicyEntry e : in) {
            lookups.computeIfAbsent(((long) e.dir().ordinal() << 32) | (e.peerIdentity() & 0xffffffffL), k -> new ArrayList<>()).add(e);
        }
        List<PolicyEntry> out = new ArrayList<>();
        for (List<PolicyEntry> group : lookups.values()) {
            List<PolicyEntry> denies = group.stream().filter(e -> e.action() == Action.DENY).toList();
            if (denies.isEmpty()) {
                out.addAll(group);
                continue;
            }
            out.addAll(denies);
            for (PolicyEntry a : group) {
                if (a.action() == Action.ALLOW) {
                    out.addAll(carveAll(a, denies));
                }
            }
        }
        return merge(out);
    }

    private static List<PolicyEntry> carveAll(PolicyEntry allow, List<PolicyEntry> denies) {
        List<PolicyEntry> pieces = List.of(allow);
        for (PolicyEntry d : denies) {
            List<PolicyEntry> next = new ArrayList<>();
            for (PolicyEntry p : pieces) {
                if (p.action() == Action.DENY || d.level() > p.level() || !intersects(d, p)) {
                    next.add(p);
                } else {
                    next.addAll(carve(p, d));
                }
            }
            pieces = next;
        }
        return pieces;
    }

    static boolean intersects(PolicyEntry a, PolicyEntry b) {
        boolean fam = a.family() == null || b.family() == null || a.family().equals(b.family());
        boolean proto = a.proto() == null || b.proto() == null || a.proto().equals(b.proto());
        boolean ports = a.ports() == null || b.ports() == null
                || (a.ports().first() <= b.ports().last() && b.ports().first() <= a.ports().last());
        return fam && proto && ports;
    }

    /** The allow {@code p} split by the deny {@code d} (which is not longer than it): deny inside, allow outside. */
    private static List<PolicyEntry> carve(PolicyEntry p, PolicyEntry d) {
        Set<Integer> famP = families(p.family());
        Set<Integer> inter = new TreeSet<>(famP);
        inter.retainAll(families(d.family()));
        Set<Integer> rest = new TreeSet<>(famP);
        rest.removeAll(inter);
        Integer interFamily = inter.equals(famP) ? p.family() : inter.iterator().next();
        List<PolicyEntry> out = new ArrayList<>();
        PortRange interPorts = p.ports() == null ? d.ports() : d.ports() == null ? p.ports() : overlap(p.ports(), d.ports());
        out.add(p.with(interFamily, interPorts, Action.DENY, d.rule()));
        for (int f : rest) {
            out.add(p.with(f, p.ports(), Action.ALLOW, p.rule()));
        }
        if (p.ports() != null && d.ports() != null) {
            for (PortRange r : minus(p.ports(), d.ports())) {
                out.add(p.with(interFamily, r, Action.ALLOW, p.rule()));
            }
        }
        return out;
    }

    private static Set<Integer> families(Integer f) {
        return f == null ? BOTH : Set.of(f);
    }

    private static PortRange overlap(PortRange a, PortRange b) {
        return new PortRange(Math.max(a.first(), b.first()), Math.min(a.last(), b.last()));
    }

    private static List<PortRange> minus(PortRange a, PortRange b) {
        List<PortRange> out = new ArrayList<>();
        if (a.first() < b.first()) {
            out.add(new PortRange(a.first(), Math.min(a.last(), b.first() - 1)));
        }
        if (a.last() > b.last()) {
            out.add(new PortRange(Math.max(a.first(), b.last() + 1), a.last()));
        }
        return out;
    }

    /** One entry per key, the verdict {@link Precedence} keeps; sorted. */
    static List<PolicyEntry> merge(List<PolicyEntry> in) {
        Map<Key, PolicyEntry> byKey = new java.util.HashMap<>();
        for (PolicyEntry e : in) {
            byKey.merge(new Key(e.dir(), e.peerIdentity(), e.family(), e.proto(), e.ports()), e,
                    (x, y) -> Precedence.keeps(x.action(), x.rule(), y.action(), y.rule()) ? x : y);
        }
        List<PolicyEntry> out = new ArrayList<>(byKey.values());
        out.sort(null);
        return List.copyOf(out);
    }

    /** An entry's key: everything but action and rule. */
    private record Key(Direction dir, int identity, Integer family, Integer proto, PortRange ports) {
    }
}
