package dev.weir.agent.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.policy.LabelSelector;
import dev.weir.agent.policy.NetworkPolicy;
import dev.weir.agent.yaml.ValidationException;
import dev.weir.agent.yaml.YamlDocuments;
import dev.weir.agent.yaml.YamlNode;
import dev.weir.datapath.guard.GuardMaps;

/**
 * Reads {@code weir.dev/v1 WeirWorkloadGuard} documents strictly, as the policy and prefilter readers do:
 * unknown fields, wrong types and bad values are {@link ValidationException}s naming the file, the object and
 * the field path ({@code spec.egress[1].toCIDR}). Stateless.
 */
public final class WorkloadGuardReader {

    private static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "spec");
    private static final Set<String> METADATA = Set.of("name", "namespace", "labels", "annotations");
    private static final Set<String> SPEC = Set.of("podSelector", "mode", "egress", "egressDefault", "bind");
    private static final Set<String> RULE = Set.of("action", "toCIDR", "toEntity", "toEndpoints", "protocol", "port",
            "endPort");
    private static final Set<String> PEERS = Set.of("podSelector", "namespaceSelector");
    private static final List<String> DESTINATIONS = List.of("toCIDR", "toEntity", "toEndpoints");
    private static final Set<String> BIND = Set.of("port", "endPort", "protocol");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    private WorkloadGuardReader() {
    }

    /** Every document of a text (YAML or JSON); each must be a WeirWorkloadGuard. */
    public static List<WorkloadGuard> parse(String text, String source) {
        return YamlDocuments.read(text, source, WorkloadGuardReader::read);
    }

    /** One document, already a tree ({@code index}: its 1-based place in the file, for messages). */
    public static WorkloadGuard read(JsonNode node, String source, int index) {
        YamlNode.Doc doc = new YamlNode.Doc(source, "document " + index);
        YamlNode root = new YamlNode(node, "", doc);
        root.object(TOP);
        String apiVersion = root.get("apiVersion").text();
        String kind = root.get("kind").text();
        if (!kind.equals(WorkloadGuard.KIND) || !apiVersion.equals(WorkloadGuard.API_VERSION)) {
            throw root.get("kind").error("expected " + WorkloadGuard.API_VERSION + " " + WorkloadGuard.KIND + ", found "
                    + apiVersion + " " + kind);
        }
        YamlNode meta = root.get("metadata");
        if (meta.isNull()) {
            throw meta.error("missing metadata (name is required)");
        }
        meta.object(METADATA);
        meta.get("labels").labels();
        meta.get("annotations").stringMap();
        String name = name(meta.get("name"));
        String namespace = meta.get("namespace").isNull() ? "default" : name(meta.get("namespace"));
        doc.object = WorkloadGuard.KIND + " " + namespace + "/" + name;
        YamlNode spec = root.get("spec");
        if (spec.isNull()) {
            throw spec.error("missing spec");
        }
        spec.object(SPEC);
        YamlNode selector = spec.get("podSelector");
        if (selector.isNull()) {
            throw selector.error("missing podSelector ({} selects every pod of the namespace)");
        }
        LabelSelector pods = LabelSelector.read(selector);
        boolean audit = choice(spec.get("mode"), "enforce", "audit", "enforce").equals("audit");
        List<WorkloadGuard.Rule> egress = egress(spec.get("egress"));
        // as Cilium's policies: allow rules make what they do not name refused; deny rules alone refuse only what they name
        String implied = egress.stream().anyMatch(WorkloadGuard.Rule::allow) ? "deny" : "allow";
        boolean defaultAllow = choice(spec.get("egressDefault"), "allow", "deny", implied).equals("allow");
        List<WorkloadGuard.BindPort> bind = spec.has("bind") ? bind(spec.get("bind")) : null;
        return new WorkloadGuard(namespace, name, source, pods, audit, defaultAllow, egress, bind);
    }

    private static String name(YamlNode n) {
        String t = n.isNull() ? "" : n.text();
        if (t.isEmpty()) {
            throw n.error("missing " + n.path().substring(n.path().lastIndexOf('.') + 1));
        }
        if (!NAME.matcher(t).matches()) {
            throw n.error("'" + t + "' is not a valid name (lower-case letters, digits, '-' and '.')");
        }
        return t;
    }

    private static String choice(YamlNode f, String a, String b, String dflt) {
        if (f.isNull()) {
            return dflt;
        }
        String t = f.text();
        if (!t.equals(a) && !t.equals(b)) {
            throw f.error("'" + t + "' is not " + a + " or " + b);
        }
        return t;
    }

    private static List<WorkloadGuard.Rule> egress(YamlNode f) {
        List<YamlNode> items = f.list();
        if (items.size() > GuardMaps.MAX_GUARD_RULES) {
            throw f.error(items.size() + " rules, at most " + GuardMaps.MAX_GUARD_RULES);
        }
        List<WorkloadGuard.Rule> out = new ArrayList<>();
        for (YamlNode r : items) {
            r.object(RULE);
            YamlNode action = r.get("action");
            if (action.isNull()) {
                throw r.error("missing action (allow or deny)");
            }
            boolean allow = choice(action, "allow", "deny", null).equals("allow");
            List<String> given = DESTINATIONS.stream().filter(r::has).toList();
            if (given.size() > 1) {
                throw r.get(given.get(1)).error(String.join(" and ", given) + " together: a rule has one destination");
            }
            Cidr cidr = r.has("toCIDR") ? cidr(r.get("toCIDR")) : null;
            WorkloadGuard.Entity entity = r.has("toEntity") ? entity(r.get("toEntity")) : null;
            NetworkPolicy.Peer peers = r.has("toEndpoints") ? peers(r.get("toEndpoints")) : null;
            Protocol protocol = protocol(r.get("protocol"));
            out.add(new WorkloadGuard.Rule(allow, cidr, entity, peers, protocol, ports(r), r.path()));
        }
        return out;
    }

    private static List<WorkloadGuard.BindPort> bind(YamlNode f) {
        List<YamlNode> items = f.list();
        if (items.size() > GuardMaps.MAX_GUARD_BIND) {
            throw f.error(items.size() + " port ranges, at most " + GuardMaps.MAX_GUARD_BIND);
        }
        List<WorkloadGuard.BindPort> out = new ArrayList<>();
        for (YamlNode b : items) {
            b.object(BIND);
            if (!b.has("port")) {
                throw b.error("missing port");
            }
            out.add(new WorkloadGuard.BindPort(ports(b), protocol(b.get("protocol"))));
        }
        return out;
    }

    /** {@code toEndpoints}: a NetworkPolicy peer's {@code podSelector} and {@code namespaceSelector}, one at least. */
    private static NetworkPolicy.Peer peers(YamlNode f) {
        f.object(PEERS);
        if (!f.has("podSelector") && !f.has("namespaceSelector")) {
            throw f.error("needs podSelector, namespaceSelector or both ({} in one of them selects all)");
        }
        return new NetworkPolicy.Peer(LabelSelector.read(f.get("podSelector")), LabelSelector.read(f.get("namespaceSelector")), null);
    }

    private static Cidr cidr(YamlNode f) {
        try {
            return Cidr.parse(f.text());
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    private static WorkloadGuard.Entity entity(YamlNode f) {
        String t = f.text();
        for (WorkloadGuard.Entity e : WorkloadGuard.Entity.values()) {
            if (e.text.equals(t)) {
                return e;
            }
        }
        throw f.error("unknown entity '" + t + "' (expected world, host, remote-node or all)");
    }

    /** TCP or UDP (the calls the guard sees), null when absent. */
    private static Protocol protocol(YamlNode f) {
        if (f.isNull()) {
            return null;
        }
        String t = f.text();
        if (!t.equals("TCP") && !t.equals("UDP")) {
            throw f.error("'" + t + "' is not TCP or UDP (the socket calls the guard sees)");
        }
        return Protocol.valueOf(t);
    }

    /** {@code port} and {@code endPort} as a range; null when neither is given. */
    private static PortRange ports(YamlNode r) {
        YamlNode port = r.get("port");
        YamlNode end = r.get("endPort");
        if (port.isNull()) {
            if (!end.isNull()) {
                throw end.error("endPort needs port");
            }
            return null;
        }
        int first = port.integer(1, 65535);
        int last = end.isNull() ? first : end.integer(1, 65535);
        if (last < first) {
            throw end.error("endPort " + last + " is below port " + first);
        }
        return new PortRange(first, last);
    }
}
