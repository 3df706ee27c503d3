package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.net.PortRange;

/**
 * "DNS blocked after a policy rollout": the pods whose egress is enforced and whose policy entries (as their
 * node's agent enforces them, {@code weir policy get}) allow no UDP/53 or TCP/53 to any peer, or deny it to
 * every peer. Pure functions of {@link Facts}.
 */
final class PolicyChecks {

    static final String DNS = "dns-egress";
    static final int DNS_PORT = 53;
    static final int TCP = 6;
    static final int UDP = 17;

    private PolicyChecks() {
    }

    static Check dns(Facts f) {
        Findings out = new Findings();
        List<String> noUdp = new ArrayList<>();
        List<String> noTcp = new ArrayList<>();
        int enforced = 0;
        for (Facts.Agent a : f.agents()) {
            for (Facts.Pod p : a.pods()) {
                if (!p.local() || !p.egressEnforced()) {
                    continue;
                }
                enforced++;
                boolean udp = allows(p.entries(), UDP);
                boolean tcp = allows(p.entries(), TCP);
                out.see(p.key() + " (" + p.node() + "): egress enforced, " + p.entries().stream()
                        .filter(e -> e.direction().equals("EGRESS")).count() + " egress entries, UDP/53 "
                        + (udp ? "allowed" : "not allowed") + ", TCP/53 " + (tcp ? "allowed" : "not allowed"));
                if (!udp) {
                    noUdp.add(p.key());
                } else if (!tcp) {
                    noTcp.add(p.key());
                }
            }
        }
        if (!noUdp.isEmpty()) {
            out.warn("egress is enforced and no rule allows DNS (UDP/53) for " + String.join(", ", noUdp));
        }
        if (!noTcp.isEmpty()) {
            out.warn("UDP/53 is allowed but TCP/53 (large answers) is not for " + String.join(", ", noTcp));
        }
        return out.check(DNS, "DNS blocked after a policy rollout", enforced == 0 ? "no pod has egress enforced"
                : enforced + " pods with egress enforced, every one allows UDP/53 and TCP/53");
    }

    /**
     * Whether the entries let a new connection to port 53 of {@code proto} out to some peer: an egress allow covers
     * it, and no egress deny towards any peer does.
     */
    static boolean allows(List<Facts.Entry> entries, int proto) {
        boolean allow = false;
        for (Facts.Entry e : entries) {
            if (!e.direction().equals("EGRESS") || !covers(e, proto)) {
                continue;
            }
            if (e.action().equals("DENY") && e.peerIdentity() == 0) {
                return false;
            }
            allow |= e.action().equals("ALLOW");
        }
        return allow;
    }

    private static boolean covers(Facts.Entry e, int proto) {
        return (e.protocol() == null || e.protocol() == proto)
                && (e.ports() == null || PortRange.parse(e.ports()).contains(DNS_PORT));
    }
}
