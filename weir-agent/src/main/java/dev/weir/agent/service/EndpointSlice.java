package dev.weir.agent.service;

import java.util.List;

import dev.weir.agent.net.Protocol;

/**
 * A parsed and validated {@code discovery.k8s.io/v1 EndpointSlice}. Immutable.
 *
 * @param namespace   namespace ({@code default} when absent)
 * @param name        name
 * @param source      the file it came from, for messages; may be null
 * @param serviceName the {@code kubernetes.io/service-name} label: the Service (same namespace) it belongs to
 * @param addressType IPv4 or IPv6 (FQDN is rejected)
 * @param endpoints   the endpoints, in file order
 * @param ports       the ports, in file order
 */
public record EndpointSlice(String namespace, String name, String source, String serviceName, IpFamily addressType,
                            List<SliceEndpoint> endpoints, List<Port> ports) {

    /** The label binding a slice to its Service. */
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    public EndpointSlice {
        endpoints = List.copyOf(endpoints);
        ports = List.copyOf(ports);
    }

    /**
     * One endpoint: a pod (or anything) with its addresses and conditions.
     *
     * @param addresses   one or more addresses of the slice's type; like kube-proxy, only the first is used
     * @param ready       {@code conditions.ready}; absent means ready (the API: "unknown ... interpret as ready")
     * @param serving     {@code conditions.serving}; absent means the value of ready
     * @param terminating {@code conditions.terminating}; absent means false
     * @param nodeName    the node it runs on, or null
     * @param targetRef   {@code kind namespace/name} of the target, e.g. {@code Pod x/a}, or null
     */
    public record SliceEndpoint(List<IpAddress> addresses, boolean ready, boolean serving, boolean terminating,
                                String nodeName, String targetRef) {
        public SliceEndpoint {
            addresses = List.copyOf(addresses);
        }

        public IpAddress address() {
            return addresses.getFirst();
        }
    }

    /**
     * A port of the slice.
     *
     * @param name     the Service port's name it serves ("" for an unnamed one)
     * @param port     the pod's port number (a named targetPort already resolved)
     * @param protocol TCP, UDP or SCTP
     */
    public record Port(String name, int port, Protocol protocol) {
    }

    /** {@code namespace/name}. */
    public String key() {
        return namespace + "/" + name;
    }

    /** {@code EndpointSlice namespace/name}. */
    public String ref() {
        return "EndpointSlice " + key();
    }

    /** {@code namespace/serviceName}: the key of the Service it belongs to. */
    public String serviceKey() {
        return namespace + "/" + serviceName;
    }
}
