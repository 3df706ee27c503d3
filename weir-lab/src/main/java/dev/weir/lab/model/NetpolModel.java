package dev.weir.lab.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code netpol} model of the Kubernetes network-policy conformance tests, pinned down in DESIGN.md:
 * namespaces x, y, z with pods a, b, c each; pod {@code <n>/<p>} has 10.244.n.p and fd00:10:244:n::p
 * (n = 1, 2, 3 for x, y, z; p = 10, 20, 30 for a, b, c); with two nodes node1 holds x/a, y/a, z/a, x/c
 * and node2 the rest; with one node, node1 holds all. Stateless.
 */
public final class NetpolModel {

    public static final String NAME = "netpol";
    public static final int MAX_NODES = 8;
    static final List<String> NAMESPACES = List.of("x", "y", "z");
    static final List<String> PODS = List.of("a", "b", "c");
    private static final Set<String> ON_NODE1 = Set.of("x/a", "y/a", "z/a", "x/c");

    private NetpolModel() {
    }

    /**
     * The model with {@code nodeCount} nodes (pods on node1 and node2 only; further nodes are empty).
     *
     * @throws IllegalArgumentException when nodeCount is not 1 to {@value #MAX_NODES}
     */
    public static LabModel build(int nodeCount) {
        if (nodeCount < 1 || nodeCount > MAX_NODES) {
            throw new IllegalArgumentException("--nodes must be 1 to " + MAX_NODES + ", not " + nodeCount);
        }
        List<PodSpec> pods = pods(nodeCount);
        List<NodeSpec> nodes = new ArrayList<>();
        for (int i = 1; i <= nodeCount; i++) {
            nodes.add(node(i, pods));
        }
        return new LabModel(NAME, namespaces(), nodes, pods, ext(nodeCount),
                new UnderlaySpec(LabNames.UNDERLAY_NETNS, LabNames.UNDERLAY_BRIDGE, "192.168.100.0/24", "fd00:192:168:100::/64"),
                new ServiceRanges("10.96.0.0/16", "fd00:10:96::/112", 30000, 32767));
    }

    private static List<NamespaceSpec> namespaces() {
        return NAMESPACES.stream()
                .map(ns -> new NamespaceSpec(ns, Map.of("ns", ns, "kubernetes.io/metadata.name", ns)))
                .toList();
    }

    private static List<PodSpec> pods(int nodeCount) {
        List<PodSpec> pods = new ArrayList<>();
        for (int n = 1; n <= NAMESPACES.size(); n++) {
            for (int p = 1; p <= PODS.size(); p++) {
                PodRef ref = new PodRef(NAMESPACES.get(n - 1), PODS.get(p - 1));
                String node = nodeCount == 1 || ON_NODE1.contains(ref.toString()) ? "node1" : "node2";
                pods.add(new PodSpec(ref.namespace(), ref.name(), node, LabNames.podNetns(ref),
                        "10.244." + n + "." + (p * 10), "fd00:10:244:" + n + "::" + (p * 10),
                        Map.of("pod", ref.name()), LabNames.hostInterface(ref)));
            }
        }
        return pods;
    }

    private static NodeSpec node(int i, List<PodSpec> pods) {
        String name = "node" + i;
        List<String> interfaces = new ArrayList<>();
        interfaces.add(LabNames.ETH0);
        pods.stream().filter(p -> p.node().equals(name)).forEach(p -> interfaces.add(p.hostInterface()));
        return new NodeSpec(name, LabNames.nodeNetns(name), LabNames.ETH0,
                "192.168.100." + i, "fd00:192:168:100::" + i, interfaces);
    }

    /** ext routes 203.0.113.0/28 via node1 and 203.0.113.16/28 via node2 (node1 when alone); IPv6 alike. */
    private static ExtSpec ext(int nodeCount) {
        int second = nodeCount >= 2 ? 2 : 1;
        Map<String, Integer> pools = new LinkedHashMap<>();
        pools.put("203.0.113.0/28", 1);
        pools.put("203.0.113.16/28", second);
        pools.put("fd00:203:0:113::/124", 1);
        pools.put("fd00:203:0:113::10/124", second);
        List<ExtRoute> routes = new ArrayList<>();
        pools.forEach((prefix, node) -> routes.add(new ExtRoute(prefix,
                Family.ofAddress(prefix) == Family.IPV4 ? "192.168.100." + node : "fd00:192:168:100::" + node,
                "node" + node)));
        return new ExtSpec(LabNames.EXT_NETNS, LabNames.ETH0, "192.168.100.200", "fd00:192:168:100::200", routes);
    }
}
