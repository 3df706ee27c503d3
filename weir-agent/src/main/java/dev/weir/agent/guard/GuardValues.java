package dev.weir.agent.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.NetworkPolicy;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.datapath.guard.GuardPeerKey;
import dev.weir.datapath.guard.GuardVal;

/**
 * What the guards ask of one pod, in {@code guard_pods}' form, and the flow rule ids of their refusals. The
 * guards are in {@code namespace/name} order; each guard that selects a pod is a set of the pod's value, judged
 * on its own (docs/workload-guard.md, "Several guards on one pod"). Rule ids are {@code 0x4000_0000 | (guard's place + 1) << 8 | k}, with
 * {@code k} 0 for the default, 1..32 for {@code spec.egress[k-1]} and 255 for {@code spec.bind}: above any
 * policy rule id. Stateless.
 */
public final class GuardValues {

    public static final int DEFAULT = 0;
    public static final int BIND = 255;
    private static final int BASE = 0x4000_0000;
    private static final byte[] ANY = new byte[16];

    private GuardValues() {
    }

    /** The flow rule id of part {@code k} of the guard at {@code place}. */
    public static int ruleId(int place, int k) {
        return BASE | ((place + 1) << 8) | k;
    }

    /** The places of the guards that select the pod, in their order. */
    public static List<Integer> guardsOf(List<WorkloadGuard> guards, Endpoint ep) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < guards.size(); i++) {
            if (guards.get(i).selects(ep.namespace(), ep.labels())) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * A pod's value and the guards that did not fit in it.
     *
     * @param leftOut {@code namespace/name} of each selecting guard past {@link GuardMaps#MAX_SETS} guards,
     *                {@link GuardMaps#MAX_RULES} rules or {@link GuardMaps#MAX_BIND} port ranges in all
     */
    public record PodGuards(GuardVal value, List<String> leftOut) {
    }

    /**
     * The value for endpoint {@code epId} selected by the guards at {@code places}: each guard a set of its own,
     * in the guards' order, as long as they fit.
     */
    public static PodGuards value(List<WorkloadGuard> guards, List<Integer> places, int epId) {
        List<GuardVal.Set> sets = new ArrayList<>();
        List<GuardVal.Rule> rules = new ArrayList<>();
        List<GuardVal.Port> bind = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        for (int place : places) {
            WorkloadGuard g = guards.get(place);
            int nBind = g.bind() == null ? 0 : g.bind().size();
            if (sets.size() == GuardMaps.MAX_SETS || rules.size() + g.egress().size() > GuardMaps.MAX_RULES
                    || bind.size() + nBind > GuardMaps.MAX_BIND) {
                leftOut.add(g.key());
                continue;
            }
            add(g, place, sets, rules, bind);
        }
        return new PodGuards(new GuardVal(epId, sets, rules, bind), List.copyOf(leftOut));
    }

    /** The value for endpoint {@code epId} guarded by {@code g} alone, at {@code place}. */
    public static GuardVal value(WorkloadGuard g, int place, int epId) {
        List<GuardVal.Set> sets = new ArrayList<>();
        List<GuardVal.Rule> rules = new ArrayList<>();
        List<GuardVal.Port> bind = new ArrayList<>();
        add(g, place, sets, rules, bind);
        return new GuardVal(epId, sets, rules, bind);
    }

    /** Guard {@code g} (at {@code place}) as the next set, its rules and port ranges after the others'. */
    private static void add(WorkloadGuard g, int place, List<GuardVal.Set> sets, List<GuardVal.Rule> rules,
                            List<GuardVal.Port> bind) {
        int set = sets.size();
        sets.add(new GuardVal.Set(g.audit() ? GuardMaps.AUDIT : GuardMaps.ENFORCE,
                g.defaultAllow() ? GuardMaps.ALLOW : GuardMaps.DENY, g.bind() == null, ruleId(place, DEFAULT),
                ruleId(place, BIND)));
        for (int i = 0; i < g.egress().size(); i++) {
            rules.add(rule(g.egress().get(i), ruleId(place, i + 1)).inSet(set));
        }
        if (g.bind() != null) {
            g.bind().forEach(b -> bind.add(new GuardVal.Port(b.ports().first(), b.ports().last(),
                    b.protocol() == null ? 0 : b.protocol().number(), set)));
        }
    }

    /**
     * {@code guard_peers}' keys: for each {@code toEndpoints} rule, the identities of the pods it selects, found
     * among the policy computation's endpoints (the identities policy gives them, so the ipcache's).
     */
    public static SortedSet<GuardPeerKey> peers(List<WorkloadGuard> guards, PolicyResult policy) {
        SortedSet<GuardPeerKey> out = new TreeSet<>();
        java.util.Map<String, java.util.Map<String, String>> nsLabels = new java.util.HashMap<>();
        for (int place = 0; place < guards.size(); place++) {
            WorkloadGuard g = guards.get(place);
            for (int k = 0; k < g.egress().size(); k++) {
                NetworkPolicy.Peer peers = g.egress().get(k).peers();
                if (peers == null) {
                    continue;
                }
                for (Endpoint ep : policy.snapshot().endpoints()) {
                    EndpointPolicy p = policy.endpoint(ep.id());
                    if (p != null && peers.choosesPod(g.namespace(), ep.namespace(),
                            nsLabels.computeIfAbsent(ep.namespace(), policy.snapshot()::namespaceLabels), ep.labels())) {
                        out.add(new GuardPeerKey(ruleId(place, k + 1), p.identity()));
                    }
                }
            }
        }
        return out;
    }

    private static GuardVal.Rule rule(WorkloadGuard.Rule r, int id) {
        int action = r.allow() ? GuardMaps.ALLOW : GuardMaps.DENY;
        int proto = r.protocol() == null ? 0 : r.protocol().number();
        int lo = r.ports() == null ? 0 : r.ports().first();
        int hi = r.ports() == null ? 65535 : r.ports().last();
        if (r.peers() != null) {
            return new GuardVal.Rule(ANY, 0, action, proto, GuardMaps.BY_PEERS, lo, hi, 0, id);
        }
        if (r.cidr() != null) {
            Cidr c = r.cidr();
            byte[] addr = ANY.clone();
            if (c.isIpv4()) {
                addr[10] = (byte) 0xff;
                addr[11] = (byte) 0xff;
                System.arraycopy(c.address(), 0, addr, 12, 4);
            } else {
                addr = c.address();
            }
            return new GuardVal.Rule(addr, c.isIpv4() ? 96 + c.length() : c.length(), action, proto, GuardMaps.BY_PREFIX,
                    lo, hi, 0, id);
        }
        WorkloadGuard.Entity e = r.entity() == null ? WorkloadGuard.Entity.ALL : r.entity();
        return switch (e) {
            case WORLD -> new GuardVal.Rule(ANY, 0, action, proto, GuardMaps.BY_WORLD, lo, hi, 0, id);
            case HOST -> new GuardVal.Rule(ANY, 0, action, proto, GuardMaps.BY_IDENTITY, lo, hi, 1, id);
            case REMOTE_NODE -> new GuardVal.Rule(ANY, 0, action, proto, GuardMaps.BY_IDENTITY, lo, hi, 6, id);
            case ALL -> new GuardVal.Rule(ANY, 0, action, proto, GuardMaps.BY_PREFIX, lo, hi, 0, id);
        };
    }
}
