package dev.weir.agent.service;

import java.util.List;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/**
 * One {@code lb_svc} entry: a frontend (address, port, protocol, client scope) and what it leads to.
 * Immutable.
 *
 * @param address          ClusterIP, node address (NodePort), LoadBalancer ingress IP or external IP
 * @param port             the service port, or the NodePort
 * @param protocol         TCP or UDP
 * @param clientScope      ANY client (0), or LOCAL clients only (1: pods of this node, for the in-cluster
 *                         view of an externalTrafficPolicy Local frontend)
 * @param kind             what made it
 * @param service          the Service's {@code namespace/name}
 * @param svcId            the datapath service it selects from
 * @param revNatId         the rev-NAT id restoring this frontend on replies
 * @param count            active backends (slots 1..count)
 * @param flags            {@code LB_F_*} bits, see {@link #MAGLEV} and friends
 * @param affinityTimeout  ClientIP affinity timeout in seconds, 0 for none
 * @param maglevM          Maglev table size, 0 without Maglev
 * @param sourceRanges     loadBalancerSourceRanges (LoadBalancer frontends), empty for any source
 */
public record LbFrontend(IpAddress address, int port, Protocol protocol, ClientScope clientScope, Kind kind,
                         String service, int svcId, int revNatId, int count, int flags, int affinityTimeout,
                         int maglevM, List<Cidr> sourceRanges) {

    /**
     * {@link Resolution#FRONTEND_ORDER}, then by Service (the order the full engine's stable sort gives): how a
     * node's state and the service list order frontends.
     */
    public static final java.util.Comparator<LbFrontend> ORDER = (a, b) -> {
        int c = a.address().compareTo(b.address());
        if (c == 0) {
            c = Integer.compare(a.port(), b.port());
        }
        if (c == 0) {
            c = a.protocol().compareTo(b.protocol());
        }
        if (c == 0) {
            c = a.clientScope().compareTo(b.clientScope());
        }
        return c != 0 ? c : a.service().compareTo(b.service());
    };

    public static final int MAGLEV = 1;
    public static final int AFFINITY = 1 << 1;
    public static final int NODEPORT = 1 << 2;
    public static final int LOADBALANCER = 1 << 3;
    public static final int EXTERNAL_IP = 1 << 4;
    public static final int SRC_RANGES = 1 << 5;
    /** externalTrafficPolicy Local on a frontend for external clients (scope ANY): they keep their source. */
    public static final int EXT_LOCAL = 1 << 6;
    /**
     * The Service has no usable endpoint on any node: a client is answered at once (ICMP port unreachable,
     * {@code ECONNREFUSED} at the socket), as kube-proxy's REJECT. A frontend with no backend without it (a Local
     * traffic policy and no local endpoint) drops, as kube-proxy's DROP.
     */
    public static final int REJECT = 1 << 7;
    private static final String[] FLAG_NAMES = {"maglev", "affinity", "nodeport", "loadbalancer", "external-ip", "src-ranges",
        "ext-local", "reject"};

    /** Which clients the entry is for ({@code lb_svc_key.scope}). */
    public enum ClientScope {
        ANY(0), LOCAL(1);

        private final int code;

        ClientScope(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** The source of a frontend. */
    public enum Kind { CLUSTER_IP, NODE_PORT, LOAD_BALANCER, EXTERNAL_IP }

    public LbFrontend {
        sourceRanges = List.copyOf(sourceRanges);
    }

    /** {@code addr:port/PROTO}: the frontend (and its rev-NAT allocator key). */
    public String key() {
        return BackendOverrides.key(address, port, protocol);
    }

    /** The flags as words, e.g. {@code maglev,nodeport}; {@code -} for none. */
    public String flagNames() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < FLAG_NAMES.length; i++) {
            if ((flags & (1 << i)) != 0) {
                sb.append(sb.isEmpty() ? "" : ",").append(FLAG_NAMES[i]);
            }
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }
}
