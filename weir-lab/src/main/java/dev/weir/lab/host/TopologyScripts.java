package dev.weir.lab.host;

import java.util.ArrayList;
import java.util.List;

import dev.weir.lab.model.ExtRoute;
import dev.weir.lab.model.ExtSpec;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.LabNames;
import dev.weir.lab.model.NodeSpec;
import dev.weir.lab.model.PodSpec;

/**
 * The {@code ip -batch} scripts that wire each namespace, as plain text so a test can read them.
 * Pods get their /32 and /128, a link route to 169.254.1.1 and default routes via 169.254.1.1 and
 * fe80::1, which the node puts on every host-side veth. Nodes route local pods to their veth and every
 * other pod via the owning node's underlay address. Stateless.
 */
final class TopologyScripts {

    static final String GATEWAY4 = "169.254.1.1";
    static final String GATEWAY6 = "fe80::1";

    private TopologyScripts() {
    }

    /** The bridge and one port per node and for ext; veth peers are created inside their namespaces. */
    static List<String> underlay(LabModel model) {
        String br = model.underlay().bridge();
        List<String> lines = new ArrayList<>(List.of(
                "link set lo up",
                "link add " + br + " type bridge mcast_snooping 0",
                "link set " + br + " up"));
        List<String[]> members = new ArrayList<>();
        model.nodes().forEach(n -> members.add(new String[] {n.name(), n.netns()}));
        members.add(new String[] {"ext", model.ext().netns()});
        for (String[] m : members) {
            String port = LabNames.underlayPort(m[0]);
            lines.add("link add " + port + " type veth peer name " + LabNames.ETH0 + " netns " + m[1]);
            lines.add("link set " + port + " master " + br + " up");
        }
        return lines;
    }

    static List<String> node(LabModel model, NodeSpec node) {
        return node(model, node, true, true);
    }

    /**
     * A node; its own pods' veths and routes only with {@code localPods} (else a CNI plugin makes them), routes to the
     * other nodes' pods only with {@code remotePods} (else weir routes them).
     */
    static List<String> node(LabModel model, NodeSpec node, boolean localPods, boolean remotePods) {
        List<String> lines = new ArrayList<>(List.of(
                "link set lo up",
                "link set " + LabNames.ETH0 + " up",
                "addr add " + node.ipv4() + "/24 dev " + LabNames.ETH0,
                "addr add " + node.ipv6() + "/64 dev " + LabNames.ETH0 + " nodad"));
        for (PodSpec pod : model.pods()) {
            if (pod.node().equals(node.name())) {
                if (!localPods) {
                    continue;
                }
                String lxc = pod.hostInterface();
                lines.add("link add " + lxc + " type veth peer name " + LabNames.ETH0 + " netns " + pod.netns());
                lines.add("link set " + lxc + " up");
                lines.add("addr add " + GATEWAY4 + "/32 dev " + lxc);
                lines.add("addr add " + GATEWAY6 + "/64 dev " + lxc + " nodad");
                lines.add("route add " + pod.ipv4() + "/32 dev " + lxc);
                lines.add("route add " + pod.ipv6() + "/128 dev " + lxc);
            } else if (remotePods) {
                NodeSpec owner = model.node(pod.node()).orElseThrow();
                lines.add("route add " + pod.ipv4() + "/32 via " + owner.ipv4() + " dev " + LabNames.ETH0);
                lines.add("route add " + pod.ipv6() + "/128 via " + owner.ipv6() + " dev " + LabNames.ETH0);
            }
        }
        return lines;
    }

    static List<String> pod(PodSpec pod) {
        String eth0 = LabNames.ETH0;
        return List.of(
                "link set lo up",
                "link set " + eth0 + " up",
                "addr add " + pod.ipv4() + "/32 dev " + eth0,
                "addr add " + pod.ipv6() + "/128 dev " + eth0 + " nodad",
                "route add " + GATEWAY4 + "/32 dev " + eth0 + " scope link",
                "route add default via " + GATEWAY4 + " dev " + eth0,
                "route add default via " + GATEWAY6 + " dev " + eth0);
    }

    static List<String> ext(ExtSpec ext) {
        List<String> lines = new ArrayList<>(List.of(
                "link set lo up",
                "link set " + ext.underlayInterface() + " up",
                "addr add " + ext.ipv4() + "/24 dev " + ext.underlayInterface(),
                "addr add " + ext.ipv6() + "/64 dev " + ext.underlayInterface() + " nodad"));
        for (ExtRoute r : ext.routes()) {
            lines.add("route add " + r.prefix() + " via " + r.via() + " dev " + ext.underlayInterface());
        }
        return lines;
    }
}
