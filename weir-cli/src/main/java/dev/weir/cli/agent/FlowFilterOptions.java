package dev.weir.cli.agent;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.flow.FlowFilter;
import picocli.CommandLine.Option;

/**
 * {@code hubble observe}'s filter options, shared by the commands that select flows or packets
 * ({@code weir observe}, {@code weir capture}); the agents' API takes them under the same names.
 */
public final class FlowFilterOptions {

    @Option(names = "--verdict", description = "FORWARDED, DROPPED, AUDIT or TRACED.")
    List<String> verdicts = new ArrayList<>();

    @Option(names = "--from-pod", paramLabel = "[NS/]POD", description = "Flows from the pod (a prefix: x/ for a namespace).")
    List<String> fromPods = new ArrayList<>();

    @Option(names = "--to-pod", paramLabel = "[NS/]POD", description = "Flows to the pod.")
    List<String> toPods = new ArrayList<>();

    @Option(names = "--pod", paramLabel = "[NS/]POD", description = "Flows from or to the pod.")
    List<String> pods = new ArrayList<>();

    @Option(names = "--from-label", description = "Flows from endpoints with the label (key=value or key).")
    List<String> fromLabels = new ArrayList<>();

    @Option(names = "--to-label", description = "Flows to endpoints with the label.")
    List<String> toLabels = new ArrayList<>();

    @Option(names = {"-n", "--namespace"}, description = "Flows from or to pods of the namespace.")
    List<String> namespaces = new ArrayList<>();

    @Option(names = "--port", description = "Flows with this source or destination port.")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--protocol", description = "tcp, udp, sctp, icmp, icmpv6.")
    List<String> protocols = new ArrayList<>();

    @Option(names = "--service", paramLabel = "[NS/]NAME", description = "Flows translated through the service (to its frontend, or replies from it).")
    List<String> services = new ArrayList<>();

    /**
     * Checks the options as the agents will read them.
     *
     * @throws IllegalArgumentException naming a bad value (an unknown verdict)
     */
    public FlowFilter check() {
        return new FlowFilter(verdicts, fromPods, toPods, pods, fromLabels, toLabels, namespaces, ports, protocols, null, services);
    }

    public List<String> verdicts() {
        return List.copyOf(verdicts);
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    public List<String> protocols() {
        return List.copyOf(protocols);
    }

    /** Whether no filter but {@code --port} and {@code --protocol} is given (what a packet alone can tell). */
    public boolean onlyPortsAndProtocols() {
        return verdicts.isEmpty() && fromPods.isEmpty() && toPods.isEmpty() && pods.isEmpty() && fromLabels.isEmpty()
                && toLabels.isEmpty() && namespaces.isEmpty() && services.isEmpty();
    }

    /** Adds the filters to API request parameters (Hubble's names: {@code from_pod}, ...). */
    public void putInto(ObjectNode p) {
        put(p, "verdict", verdicts);
        put(p, "from_pod", fromPods);
        put(p, "to_pod", toPods);
        put(p, "pod", pods);
        put(p, "from_label", fromLabels);
        put(p, "to_label", toLabels);
        put(p, "namespace", namespaces);
        put(p, "protocol", protocols);
        put(p, "service", services);
        ArrayNode portArray = p.putArray("port");
        ports.forEach(portArray::add);
    }

    private static void put(ObjectNode p, String field, List<String> values) {
        ArrayNode a = p.putArray(field);
        values.forEach(a::add);
    }
}
