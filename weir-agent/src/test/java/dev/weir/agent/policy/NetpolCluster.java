package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.NetpolModel;
import dev.weir.lab.model.PodSpec;

/** The lab's netpol model (two nodes) as a {@link ClusterSnapshot}; endpoint ids 1..9 in model order. */
public final class NetpolCluster {

    public static final List<String> PODS = dev.weir.agent.conformance.Reachability.PODS;
    public static final String EXT4 = "192.168.100.200";
    public static final String EXT6 = "fd00:192:168:100::200";

    private NetpolCluster() {
    }

    public static ClusterSnapshot snapshot(List<PolicyObject> policies) {
        LabModel m = NetpolModel.build(2);
        List<Node> nodes = m.nodes().stream().map(n -> new Node(n.name(), n.netns(), n.ipv4(), n.ipv6())).toList();
        List<Namespace> namespaces = m.namespaces().stream().map(n -> new Namespace(n.name(), n.labels())).toList();
        List<Endpoint> eps = new ArrayList<>();
        for (PodSpec p : m.pods()) {
            eps.add(new Endpoint(eps.size() + 1, p.namespace(), p.name(), p.labels(), p.node(), p.ipv4(), p.ipv6(), p.hostInterface()));
        }
        return new ClusterSnapshot(nodes, namespaces, eps, policies);
    }

    /** Endpoint id of {@code ns/pod}. */
    public static int id(String pod) {
        int i = PODS.indexOf(pod);
        if (i < 0) {
            throw new IllegalArgumentException("no pod " + pod);
        }
        return i + 1;
    }
}
