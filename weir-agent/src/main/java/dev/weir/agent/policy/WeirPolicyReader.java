package dev.weir.agent.policy;

import dev.weir.agent.yaml.YamlNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads weir's WeirNetworkPolicy and WeirClusterNetworkPolicy, strictly. */
final class WeirPolicyReader {

    private WeirPolicyReader() {
    }

    static WeirPolicy read(YamlNode doc, boolean clusterWide, String name, String namespace) {
        YamlNode spec = doc.get("spec");
        if (spec.isNull()) {
            throw spec.error("missing spec");
        }
        spec.object(Set.of("endpointSelector", "ingress", "egress", "ingressDeny", "egressDeny", "description"));
        spec.get("description").textOr("");
        LabelSelector sel = normalize(CommonReader.selector(spec.get("endpointSelector")));
        if (sel == null) {
            throw spec.get("endpointSelector").error("missing endpointSelector ({} selects every endpoint)");
        }
        return new WeirPolicy(clusterWide, namespace, name, doc.doc().file, sel,
                rules(spec.get("ingress"), "from"), rules(spec.get("egress"), "to"),
                rules(spec.get("ingressDeny"), "from"), rules(spec.get("egressDeny"), "to"));
    }

    /** Null when the key is absent (the direction is then not isolated by this policy). */
    private static List<WeirPolicy.Rule> rules(YamlNode list, String prefix) {
        if (list.isNull()) {
            return null;
        }
        List<WeirPolicy.Rule> out = new ArrayList<>();
        for (YamlNode r : list.list()) {
            out.add(rule(r, prefix));
        }
        return out;
    }

    private static WeirPolicy.Rule rule(YamlNode r, String p) {
        r.object(Set.of(p + "Endpoints", p + "Entities", p + "CIDR", p + "CIDRSet", "toPorts"));
        List<LabelSelector> endpoints = new ArrayList<>();
        for (YamlNode s : r.get(p + "Endpoints").list()) {
            LabelSelector sel = normalize(CommonReader.selector(s));
            endpoints.add(sel == null ? LabelSelector.ALL : sel);
        }
        List<Entity> entities = new ArrayList<>();
        for (YamlNode e : r.get(p + "Entities").list()) {
            try {
                entities.add(Entity.parse(e.text()));
            } catch (IllegalArgumentException ex) {
                throw e.error(ex.getMessage());
            }
        }
        List<IpBlock> cidrs = new ArrayList<>();
        for (YamlNode c : r.get(p + "CIDR").list()) {
            cidrs.add(new IpBlock(CommonReader.cidr(c), List.of()));
        }
        for (YamlNode c : r.get(p + "CIDRSet").list()) {
            cidrs.add(CommonReader.ipBlock(c));
        }
        return new WeirPolicy.Rule(endpoints, entities, cidrs, toPorts(r.get("toPorts")));
    }

    /** Selector keys without their source prefix ({@code k8s:pod} is {@code pod}), as identities are matched. */
    static LabelSelector normalize(LabelSelector s) {
        if (s == null) {
            return null;
        }
        java.util.Map<String, String> labels = new java.util.TreeMap<>();
        s.matchLabels().forEach((k, v) -> labels.put(dev.weir.agent.identity.Identities.stripSource(k), v));
        List<LabelSelector.Requirement> reqs = s.matchExpressions().stream()
                .map(r -> new LabelSelector.Requirement(dev.weir.agent.identity.Identities.stripSource(r.key()), r.operator(), r.values()))
                .toList();
        return new LabelSelector(labels, reqs);
    }

    private static List<PortRule> toPorts(YamlNode list) {
        List<PortRule> out = new ArrayList<>();
        for (YamlNode tp : list.list()) {
            tp.object(Set.of("ports"));
            if (tp.get("ports").list().isEmpty()) {
                throw tp.get("ports").error("toPorts entry needs at least one port");
            }
            for (YamlNode p : tp.get("ports").list()) {
                p.object(Set.of("port", "endPort", "protocol"));
                out.add(new PortRule(CommonReader.protocol(p.get("protocol"), null, true), CommonReader.range(p, true)));
            }
        }
        return out;
    }
}
