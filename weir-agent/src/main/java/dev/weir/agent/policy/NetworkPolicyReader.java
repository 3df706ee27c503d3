package dev.weir.agent.policy;

import dev.weir.agent.yaml.YamlNode;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import dev.weir.agent.net.Protocol;

/** Reads a {@code networking.k8s.io/v1} NetworkPolicy, strictly, with the API server's defaulting. */
final class NetworkPolicyReader {

    private NetworkPolicyReader() {
    }

    static NetworkPolicy read(YamlNode doc, String name, String namespace) {
        YamlNode spec = doc.get("spec");
        if (spec.isNull()) {
            throw spec.error("missing spec");
        }
        spec.object(Set.of("podSelector", "policyTypes", "ingress", "egress"));
        LabelSelector podSelector = CommonReader.selector(spec.get("podSelector"));
        List<NetworkPolicy.Rule> ingress = rules(spec.get("ingress"), "from");
        List<NetworkPolicy.Rule> egress = rules(spec.get("egress"), "to");
        Set<Direction> types = policyTypes(spec.get("policyTypes"), !egress.isEmpty());
        return new NetworkPolicy(namespace, name, doc.doc().file, podSelector == null ? LabelSelector.ALL : podSelector,
                types, ingress, egress);
    }

    /** Absent or empty: Ingress, plus Egress when there are egress rules (the API server's default). */
    private static Set<Direction> policyTypes(YamlNode f, boolean hasEgress) {
        Set<Direction> types = EnumSet.noneOf(Direction.class);
        for (YamlNode t : f.list()) {
            Direction d = switch (t.text()) {
                case "Ingress" -> Direction.INGRESS;
                case "Egress" -> Direction.EGRESS;
                default -> throw t.error("unknown policy type '" + t.text() + "' (expected Ingress or Egress)");
            };
            if (!types.add(d)) {
                throw t.error("duplicate policy type " + t.text());
            }
        }
        if (types.isEmpty()) {
            types.add(Direction.INGRESS);
            if (hasEgress) {
                types.add(Direction.EGRESS);
            }
        }
        return types;
    }

    private static List<NetworkPolicy.Rule> rules(YamlNode list, String peersField) {
        List<NetworkPolicy.Rule> out = new ArrayList<>();
        for (YamlNode r : list.list()) {
            r.object(Set.of(peersField, "ports"));
            List<NetworkPolicy.Peer> peers = new ArrayList<>();
            for (YamlNode p : r.get(peersField).list()) {
                peers.add(peer(p));
            }
            List<PortRule> ports = new ArrayList<>();
            for (YamlNode p : r.get("ports").list()) {
                p.object(Set.of("protocol", "port", "endPort"));
                ports.add(new PortRule(CommonReader.protocol(p.get("protocol"), Protocol.TCP, false),
                        CommonReader.range(p, false)));
            }
            out.add(new NetworkPolicy.Rule(peers, ports));
        }
        return out;
    }

    private static NetworkPolicy.Peer peer(YamlNode p) {
        p.object(Set.of("podSelector", "namespaceSelector", "ipBlock"));
        LabelSelector pods = CommonReader.selector(p.get("podSelector"));
        LabelSelector namespaces = CommonReader.selector(p.get("namespaceSelector"));
        if (p.has("ipBlock")) {
            if (pods != null || namespaces != null) {
                throw p.error("ipBlock cannot be combined with podSelector or namespaceSelector in one peer");
            }
            return new NetworkPolicy.Peer(null, null, CommonReader.ipBlock(p.get("ipBlock")));
        }
        if (pods == null && namespaces == null) {
            throw p.error("a peer needs podSelector, namespaceSelector or ipBlock");
        }
        return new NetworkPolicy.Peer(pods, namespaces, null);
    }
}
