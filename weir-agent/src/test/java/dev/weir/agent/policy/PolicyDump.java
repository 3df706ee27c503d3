package dev.weir.agent.policy;

import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.IdentityInfo;

/**
 * A readable text form of a {@link PolicyResult} (identities, ipcache, rule table, endpoints with their
 * flags and entries), stable for golden tests and close to what {@code weir policy get} shows. Endpoints
 * without flags or entries are listed on one line. Stateless.
 */
public final class PolicyDump {

    private PolicyDump() {
    }

    public static String dump(PolicyResult r) {
        StringBuilder sb = new StringBuilder("identities:\n");
        for (IdentityInfo i : r.identities()) {
            sb.append(String.format("  %-9d %-8s %s%n", i.id(), i.kind(), i.describe()));
        }
        sb.append("ipcache:\n");
        r.ipcache().forEach((c, id) -> sb.append(String.format("  %-24s %d%n", c, id)));
        sb.append("rules:\n");
        r.rules().forEach(rule -> sb.append("  #").append(rule).append('\n'));
        sb.append("endpoints:\n");
        for (Endpoint ep : r.snapshot().endpoints()) {
            EndpointPolicy p = r.endpoint(ep.id());
            sb.append("  ").append(ep.key()).append(" ep ").append(ep.id()).append(" identity ").append(p.identity())
                    .append(" ingress ").append(flags(p, Direction.INGRESS)).append(" egress ").append(flags(p, Direction.EGRESS))
                    .append('\n');
            p.entries().forEach(e -> sb.append("    ").append(e).append('\n'));
        }
        if (!r.warnings().isEmpty()) {
            sb.append("warnings:\n");
            r.warnings().forEach(w -> sb.append("  ").append(w).append('\n'));
        }
        return sb.toString();
    }

    private static String flags(EndpointPolicy p, Direction d) {
        return (p.enforced(d) ? "enforced" : "open") + (p.audit(d) ? "+audit" : "");
    }

    /** {@code ns/pod} by endpoint id, for printing flows. */
    public static Map<Integer, String> endpointNames(PolicyResult r) {
        Map<Integer, String> out = new java.util.TreeMap<>();
        r.snapshot().endpoints().forEach(e -> out.put(e.id(), e.key()));
        return out;
    }
}
