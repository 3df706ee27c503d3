package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.IdentityInfo;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.policy.Decision;
import dev.weir.agent.policy.Party;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.policy.RuleRef;

/**
 * {@code diagnose.path} (docs/diagnose.md): how the policy in force judges one new connection, from the engine's
 * result the dataplane was written from ({@link SyncLoop#result}), with the evaluator {@code policy.whatif} uses
 * ({@link PolicyEngine#decide}: the datapath's lookups): both parties (endpoint, node, interface), the service
 * frontend when the destination is one (then every backend is judged), each hook's verdict, reason, deciding
 * policy and the peer identity it sees, and this node's conntrack entries of the connection. Reads only.
 * Thread-safe.
 */
final class PathApi {

    private static final ObjectMapper M = ApiProtocol.mapper();
    private static final PolicyEngine ENGINE = new PolicyEngine();

    private final String node;
    private final Supplier<SyncState> sync;
    private final Supplier<PolicyResult> policy;
    private final ConntrackReader conntrack;

    /** @param policy the policy result in force, or null when the compiler has no policy engine */
    PathApi(String node, Supplier<SyncState> sync, Supplier<PolicyResult> policy, ConntrackReader conntrack) {
        this.node = node;
        this.sync = sync;
        this.policy = policy;
        this.conntrack = conntrack;
    }

    Map<String, ApiHandler> handlers() {
        return Map.of("diagnose.path", this::path);
    }

    /** One connection to judge: addresses, protocol, destination port (0 for ICMP). */
    record Query(String source, String destination, Protocol protocol, int port, int family) {

        /** @throws ApiException INVALID naming the bad field */
        static Query of(JsonNode p) {
            String src = address(p, "source");
            String dst = address(p, "destination");
            Protocol proto;
            try {
                proto = Protocol.parse(p.path("protocol").asText(""));
            } catch (IllegalArgumentException e) {
                throw new ApiException(ApiException.INVALID, "protocol: " + e.getMessage(), e);
            }
            int port = p.path("port").asInt(0);
            if (proto.hasPorts() && (port < 1 || port > 65535)) {
                throw new ApiException(ApiException.INVALID, "port " + port + " is not 1-65535");
            }
            int family = src.contains(":") ? 6 : 4;
            if ((dst.contains(":") ? 6 : 4) != family) {
                throw new ApiException(ApiException.INVALID, "source " + src + " and destination " + dst
                        + " are not of one address family");
            }
            return new Query(src, dst, proto, proto.hasPorts() ? port : 0, family);
        }

        private static String address(JsonNode p, String field) {
            String a = p.path(field).asText("");
            try {
                Cidr.parseAddress(a, field);
            } catch (IllegalArgumentException e) {
                throw new ApiException(ApiException.INVALID, field + ": '" + a + "' is not an IP address", e);
            }
            return a;
        }
    }

    private JsonNode path(JsonNode params) {
        Query q = Query.of(params == null ? M.createObjectNode() : params);
        PolicyResult r = policy.get();
        SyncState s = sync.get();
        if (r == null) {
            throw new ApiException(ApiException.INTERNAL, "node " + node + " has no policy result yet (no sync, or no policy engine)");
        }
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("revision", s.appliedRevision());
        o.set("source", party(r, q.source()));
        o.set("destination", party(r, q.destination()));
        StateView.ServiceRow svc = service(s.view(), q);
        o.set("service", svc == null ? null : M.valueToTree(svc));
        List<Target> targets = svc == null ? List.of(new Target(q.destination(), q.port(), null))
                : svc.backends().stream().map(Target::parse).filter(t -> (t.address().contains(":") ? 6 : 4) == q.family()).toList();
        ArrayNode judged = o.putArray("targets");
        for (Target t : targets) {
            judged.add(judge(r, q, t));
        }
        o.set("conntrack", M.valueToTree(conntrack(q, targets)));
        return o;
    }

    /** Where a connection goes: the destination itself, or one backend of the service it names. */
    record Target(String address, int port, String backend) {
        /** {@code 10.244.1.20:80 active (x/b)}, as {@link StateView.ServiceRow#backends()} holds it. */
        static Target parse(String backend) {
            String addrPort = backend.split(" ", 2)[0];
            int colon = addrPort.lastIndexOf(':');
            return new Target(addrPort.substring(0, colon), Integer.parseInt(addrPort.substring(colon + 1)), backend);
        }
    }

    private static ObjectNode party(PolicyResult r, String address) {
        ObjectNode o = M.createObjectNode();
        o.put("address", address);
        Endpoint e = endpointOf(r, address);
        if (e != null) {
            o.put("endpoint", e.key());
            o.put("endpointId", e.id());
            o.put("node", e.node());
            o.put("interface", e.iface());
            o.put("identity", r.endpoint(e.id()).identity());
            o.set("labels", M.valueToTree(labels(r, r.endpoint(e.id()).identity())));
        }
        return o;
    }

    private static Endpoint endpointOf(PolicyResult r, String address) {
        byte[] a = Cidr.parseAddress(address, address);
        return r.snapshot().endpoints().stream().filter(e -> e.addresses().stream()
                .anyMatch(x -> Arrays.equals(Cidr.parseAddress(x, x), a))).findFirst().orElse(null);
    }

    /** The frontend the destination names, as this node translates it, or null. */
    static StateView.ServiceRow service(StateView view, Query q) {
        byte[] dst = Cidr.parseAddress(q.destination(), "destination");
        for (StateView.ServiceRow row : view.services().rows()) {
            int colon = row.frontend().lastIndexOf(':');
            String addr = row.frontend().substring(0, colon).replace("[", "").replace("]", "");
            int port = Integer.parseInt(row.frontend().substring(colon + 1));
            if (port == q.port() && row.protocol().equalsIgnoreCase(q.protocol().name())
                    && Arrays.equals(Cidr.parseAddress(addr, row.frontend()), dst)) {
                return row;
            }
        }
        return null;
    }

    private static ObjectNode judge(PolicyResult r, Query q, Target t) {
        String src = endpointAddress(r, q.source(), q.family());
        String dst = endpointAddress(r, t.address(), q.family());
        Decision d = ENGINE.decide(r, Party.ip(src), Party.ip(dst), q.protocol().number(), t.port(), q.family());
        ObjectNode o = M.createObjectNode();
        o.put("address", t.address());
        o.put("port", t.port());
        o.put("backend", t.backend());
        Endpoint to = endpointOf(r, t.address());
        o.put("endpoint", to == null ? null : to.key());
        o.put("verdict", d.verdict().name());
        o.set("policy", rule(r, d.rule()));
        Endpoint from = endpointOf(r, q.source());
        o.set("egress", hook(r, d.egress(), from, dst));
        o.set("ingress", hook(r, d.ingress(), to, src));
        return o;
    }

    /** The address as the result spells it (an endpoint's own text), so that the evaluator finds the endpoint. */
    private static String endpointAddress(PolicyResult r, String address, int family) {
        Endpoint e = endpointOf(r, address);
        if (e == null) {
            return address;
        }
        return family == 4 ? e.ipv4() : e.ipv6();
    }

    private static ObjectNode hook(PolicyResult r, Decision.Hook h, Endpoint owner, String peer) {
        ObjectNode o = M.createObjectNode();
        if (owner == null || h.reason() == Decision.Reason.NO_ENDPOINT) {
            o.put("endpoint", (String) null);
            o.put("reason", Decision.Reason.NO_ENDPOINT.name());
            return o;
        }
        int peerIdentity = ENGINE.identityOf(r, owner.id(), peer);
        o.put("endpoint", owner.key());
        o.put("node", owner.node());
        o.put("interface", owner.iface());
        o.put("verdict", h.verdict().name());
        o.put("reason", h.reason().name());
        o.set("policy", rule(r, h.rule()));
        o.put("enforced", h.reason() != Decision.Reason.PASS_NO_POLICY);
        o.put("peerIdentity", peerIdentity);
        o.set("peerLabels", M.valueToTree(labels(r, peerIdentity)));
        return o;
    }

    private static Map<String, String> labels(PolicyResult r, int identity) {
        IdentityInfo i = r.identity(identity);
        return i == null ? Map.of() : i.labels();
    }

    /** {@code {kind, namespace, name, rule}} of the rule, or null for none (default deny, no policy). */
    private static JsonNode rule(PolicyResult r, int id) {
        RuleRef ref = r.rule(id);
        if (ref == null) {
            return null;
        }
        ObjectNode o = M.createObjectNode();
        o.put("kind", ref.kind());
        o.put("namespace", ref.namespace() == null ? "" : ref.namespace());
        o.put("name", ref.name());
        o.put("rule", ref.path() == null ? "" : ref.path());
        return o;
    }

    /** This node's conntrack entries from the source to the destination or any of the backends. */
    private List<ConntrackReader.Entry> conntrack(Query q, List<Target> targets) {
        byte[] src = Cidr.parseAddress(q.source(), "source");
        List<ConntrackReader.Entry> out = new ArrayList<>();
        for (ConntrackReader.Entry e : conntrack.entries()) {
            if (!e.protocol().equalsIgnoreCase(q.protocol().name()) || !same(e.sourceIp(), src)) {
                continue;
            }
            boolean toTarget = targets.stream().anyMatch(t -> t.port() == e.destinationPort()
                    && same(e.destinationIp(), Cidr.parseAddress(t.address(), "target")));
            boolean toFrontend = e.destinationPort() == q.port() && same(e.destinationIp(), Cidr.parseAddress(q.destination(), "d"));
            if (toTarget || toFrontend) {
                out.add(e);
            }
        }
        return out;
    }

    private static boolean same(String text, byte[] addr) {
        try {
            return Arrays.equals(Cidr.parseAddress(text, text), addr);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
