package dev.weir.lab.model;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The whole lab as data: namespaces, nodes, pods, ext, underlay and service ranges. Built without
 * touching the kernel (see {@link NetpolModel}); immutable.
 *
 * @param model the model's name, e.g. {@code netpol}
 */
public record LabModel(String model, List<NamespaceSpec> namespaces, List<NodeSpec> nodes, List<PodSpec> pods,
                       ExtSpec ext, UnderlaySpec underlay, ServiceRanges services) {
    public LabModel {
        namespaces = List.copyOf(namespaces);
        nodes = List.copyOf(nodes);
        pods = List.copyOf(pods);
    }

    public Optional<PodSpec> pod(PodRef ref) {
        return pods.stream().filter(p -> p.ref().equals(ref)).findFirst();
    }

    public Optional<NodeSpec> node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /** The pods on a node, in model order. */
    public List<PodSpec> podsOn(String node) {
        return pods.stream().filter(p -> p.node().equals(node)).toList();
    }

    /** {@code x/a, x/b, …}: for error messages. */
    public String podList() {
        return pods.stream().map(p -> p.ref().toString()).collect(Collectors.joining(", "));
    }
}
