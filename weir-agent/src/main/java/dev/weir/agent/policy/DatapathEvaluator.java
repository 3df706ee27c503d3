package dev.weir.agent.policy;

import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.net.Cidr;

/**
 * Evaluates a {@link PolicyResult} the way {@code tc_endpoint.c} does for a new connection: the peer's
 * identity from the ipcache (longest prefix; miss = world; the endpoint's own node's address = host), two
 * longest-match lookups (peer identity, any peer), deny wins, then allow, then drop when enforced; audit
 * turns a drop or deny into AUDIT. Stateless.
 */
final class DatapathEvaluator {

    private DatapathEvaluator() {
    }

    static Decision decide(PolicyResult r, Party src, Party dst, int proto, int port, int family) {
        Endpoint s = endpointOf(r, src);
        Endpoint d = endpointOf(r, dst);
        String srcAddr = address(src, s, family);
        String dstAddr = address(dst, d, family);
        Decision.Hook egress = s == null ? Decision.Hook.NONE
                : hook(r, s, Direction.EGRESS, identityOf(r, s, dstAddr), proto, port, family);
        Decision.Hook ingress = d == null ? Decision.Hook.NONE
                : hook(r, d, Direction.INGRESS, identityOf(r, d, srcAddr), proto, port, family);
        return Decision.combine(egress, ingress);
    }

    static Decision.Hook hook(PolicyResult r, Endpoint ep, Direction dir, int peer, int proto, int port, int family) {
        EndpointPolicy pol = r.endpoint(ep.id());
        PolicyEntry byId = best(pol, dir, peer, proto, port, family);
        PolicyEntry any = best(pol, dir, Identities.ANY, proto, port, family);
        PolicyEntry deny = isDeny(byId) ? byId : isDeny(any) ? any : null;
        boolean audit = pol.audit(dir);
        if (deny != null) {
            return audit ? new Decision.Hook(Decision.Verdict.AUDIT, Decision.Reason.PASS_AUDIT, deny.rule())
                    : new Decision.Hook(Decision.Verdict.DENIED, Decision.Reason.DROP_POLICY_DENY, deny.rule());
        }
        PolicyEntry allow = byId != null ? byId : any;
        if (allow != null) {
            return new Decision.Hook(Decision.Verdict.ALLOWED, Decision.Reason.PASS_POLICY, allow.rule());
        }
        if (!pol.enforced(dir)) {
            return new Decision.Hook(Decision.Verdict.ALLOWED, Decision.Reason.PASS_NO_POLICY, 0);
        }
        return audit ? new Decision.Hook(Decision.Verdict.AUDIT, Decision.Reason.PASS_AUDIT, 0)
                : new Decision.Hook(Decision.Verdict.DENIED, Decision.Reason.DROP_POLICY, 0);
    }

    private static boolean isDeny(PolicyEntry e) {
        return e != null && e.action() == Action.DENY;
    }

    /**
     * The longest matching entry of one lookup: the longest of the entries' {@link PolicyPrefix}es that
     * matches. Entries matching at equal length share one {@code pol} key, whose verdict
     * {@link PolicyPrefixes} chose by {@link Precedence}.
     */
    private static PolicyEntry best(EndpointPolicy pol, Direction dir, int identity, int proto, int port, int family) {
        PolicyEntry best = null;
        int bestLen = -1;
        for (PolicyEntry e : pol.entries()) {
            if (e.dir() != dir || e.peerIdentity() != identity || !e.matches(family, proto, port)) {
                continue;
            }
            int len = e.prefixLength(port);
            if (len > bestLen || (len == bestLen && Precedence.keeps(e.action(), e.rule(), best.action(), best.rule()))) {
                best = e;
                bestLen = len;
            }
        }
        return best;
    }

    /** What {@code ep}'s datapath sees as the identity of the address. */
    static int identityOf(PolicyResult r, Endpoint ep, String addr) {
        byte[] a = Cidr.parseAddress(addr, addr);
        Integer id = null;
        int len = -1;
        for (Map.Entry<Cidr, Integer> e : r.ipcache().entrySet()) {
            if (e.getKey().containsAddress(a) && e.getKey().length() > len) {
                id = e.getValue();
                len = e.getKey().length();
            }
        }
        if (id == null) {
            return Identities.WORLD;
        }
        if (id == Identities.REMOTE_NODE && isOwnNode(r, ep, addr)) {
            return Identities.HOST;
        }
        return id;
    }

    private static boolean isOwnNode(PolicyResult r, Endpoint ep, String addr) {
        for (Node n : r.snapshot().nodes()) {
            if (n.name().equals(ep.node()) && (addr.equals(n.ipv4()) || addr.equals(n.ipv6()))) {
                return true;
            }
        }
        return false;
    }

    /** The endpoint a party is: by id, or the endpoint owning the address. */
    static Endpoint endpointOf(PolicyResult r, Party p) {
        return endpointOf(r.snapshot(), p);
    }

    static Endpoint endpointOf(ClusterSnapshot snap, Party p) {
        return switch (p) {
            case Party.Pod pod -> snap.endpoints().stream().filter(e -> e.id() == pod.endpointId()).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no endpoint " + pod.endpointId()));
            case Party.Address a -> snap.endpoints().stream().filter(e -> e.addresses().contains(a.ip())).findFirst().orElse(null);
        };
    }

    static String address(Party p, Endpoint ep, int family) {
        if (p instanceof Party.Address a) {
            if ((a.ip().contains(":") ? 6 : 4) != family) {
                throw new IllegalArgumentException("address " + a.ip() + " is not IPv" + family);
            }
            return a.ip();
        }
        String s = family == 4 ? ep.ipv4() : ep.ipv6();
        if (s == null) {
            throw new IllegalArgumentException("endpoint " + ep.key() + " has no IPv" + family + " address");
        }
        return s;
    }
}
