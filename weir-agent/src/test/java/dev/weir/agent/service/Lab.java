package dev.weir.agent.service;

import java.util.List;

import dev.weir.agent.cluster.Node;

/** The lab's nodes and settings (DESIGN.md), and a parser for YAML snippets. */
final class Lab {

    static final Node NODE1 = new Node("node1", "weir-node1", "192.168.100.1", "fd00:192:168:100::1");
    static final Node NODE2 = new Node("node2", "weir-node2", "192.168.100.2", "fd00:192:168:100::2");
    static final List<Node> NODES = List.of(NODE1, NODE2);
    static final ServiceConfig CONFIG = LabServiceConfig.lab();

    private Lab() {
    }

    static ServiceObjects parse(String yaml) {
        return new ServiceParser(CONFIG).parse(yaml, "t.yaml");
    }

    static Service service(String yaml) {
        return parse(yaml).services().getFirst();
    }

    /** A Service document in namespace x named s, with the given spec lines (indented by two). */
    static String svc(String spec) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\nspec:\n" + spec;
    }

    static String svc(String name, String spec) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: x}\nspec:\n" + spec;
    }

    /** An IPv4 EndpointSlice for x/service with one TCP port named {@code name} and the given endpoint lines. */
    static String slice(String sliceName, String service, String portName, int port, String endpoints) {
        return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + sliceName
                + "\n  namespace: x\n  labels: {kubernetes.io/service-name: " + service + "}\naddressType: IPv4\n"
                + "ports:\n- {name: \"" + portName + "\", port: " + port + "}\nendpoints:\n" + endpoints;
    }
}
