package dev.weir.agent.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.datapath.guard.GuardPeerKey;
import dev.weir.datapath.guard.GuardVal;

/**
 * What the guards ask of one pod, in {@code guard_pods}' form, and the flow rule ids of their refusals. The
 * guards are in {@code namespace/name} order; a pod is guarded by the first that selects it (a second one
 * selecting it too is not merged). Rule ids are {@code 0x4000_0000 | (guard's place + 1) << 8 | k}, with
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

    /** The place of the guard of the pod, if one selects it. */
    public static Optional<Integer> guardOf(List<WorkloadGuard> guards, Endpoint ep) {
        for (int i = 0; i < guards.size(); i++) {
            if (guards.get(i).selects(ep.namespace(), ep.labels())) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
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
                WorkloadGuard.Peers peers = g.egress().get(k).peers();
                if (peers == null) {
                    continue;
                }
                for (Endpoint ep : policy.snapshot().endpoints()) {
                    EndpointPolicy p = policy.endpoint(ep.id());
                    if (p != null && peers.selects(g.namespace(), ep.namespace(),
                            nsLabels.computeIfAbsent(ep.namespace(), policy.snapshot()::namespaceLabels), ep.labels())) {
                        out.add(new GuardPeerKey(ruleId(place, k + 1), p.identity()));
                    }
                }
            }
        }
        return out;
    }

    /** The value for endpoint {@code epId} guarded by {@code g}, at {@code place}. */
    public static GuardVal value(WorkloadGuard g, int place, int epId) {
        List<GuardVal.Rule> rules = new ArrayList<>();
        for (int i = 0; i < g.egress().size(); i++) {
            rules.add(rule(g.egress().get(i), ruleId(place, i + 1)));
        }
        List<GuardVal.Port> bind = g.bind() == null ? List.of() : g.bind().stream()
                .map(b -> new GuardVal.Port(b.ports().first(), b.ports().last(), b.protocol() == null ? 0 : b.protocol().number()))
                .toList();
        return new GuardVal(epId, g.audit() ? GuardMaps.AUDIT : GuardMaps.ENFORCE,
                g.defaultAllow() ? GuardMaps.ALLOW : GuardMaps.DENY, g.bind() == null, ruleId(place, DEFAULT),
                ruleId(place, BIND), rules, bind);
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
