package dev.weir.lab.host;

import java.util.ArrayList;
import java.util.List;

import dev.weir.lab.model.LabModel;

/**
 * Builds the lab's network from a {@link LabModel}: namespaces, the underlay bridge, nodes, pod veths,
 * addresses and routes. Only namespaces it creates are touched; veths are created directly inside them,
 * so no interface ever appears in the root namespace. Stateless; a failure leaves a partial lab that
 * {@code lab down} removes.
 */
public final class Topology {

    private static final List<String> NO_DAD = List.of(
            "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
    private static final List<String> ROUTER = List.of(
            "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
            "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");

    private Topology() {
    }

    /** Every namespace of the model: underlay, nodes, ext, pods. */
    public static List<String> namespaces(LabModel model) {
        List<String> names = new ArrayList<>(List.of(model.underlay().netns()));
        model.nodes().forEach(n -> names.add(n.netns()));
        names.add(model.ext().netns());
        model.pods().forEach(p -> names.add(p.netns()));
        return names;
    }

    /** Creates and wires every namespace of the model. */
    public static void build(LabModel model) {
        build(model, true, true);
    }

    /**
     * Creates every namespace of the model and wires the underlay, the nodes and ext; the pods too with
     * {@code wirePods}, else their namespaces stay empty for a CNI plugin; each node routes the other nodes' pods
     * via their node with {@code routePods}, else something else does (weir's tunnel or native routes).
     */
    public static void build(LabModel model, boolean wirePods, boolean routePods) {
        Netns.add(namespaces(model));
        Parallel.each(namespaces(model), ns -> Netns.sysctl(ns, model.nodes().stream().anyMatch(n -> n.netns().equals(ns))
                ? concat(NO_DAD, ROUTER) : NO_DAD));
        Shell.ipBatch(model.underlay().netns(), TopologyScripts.underlay(model));
        Parallel.each(model.nodes(), n -> Shell.ipBatch(n.netns(), TopologyScripts.node(model, n, wirePods, routePods)));
        List<Runnable> rest = new ArrayList<>();
        rest.add(() -> Shell.ipBatch(model.ext().netns(), TopologyScripts.ext(model.ext())));
        if (wirePods) {
            model.pods().forEach(p -> rest.add(() -> Shell.ipBatch(p.netns(), TopologyScripts.pod(p))));
        }
        Parallel.each(rest, Runnable::run);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

}
