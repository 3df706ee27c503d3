package dev.weir.agent.service;

import dev.weir.agent.net.Protocol;

/**
 * One entry of a Service's {@code spec.ports}, defaulted. Immutable.
 *
 * @param index      position in {@code spec.ports} (for error paths)
 * @param name       port name, "" when the service has a single unnamed port; EndpointSlice ports are
 *                   matched to it by this name (and protocol), as kube-proxy does
 * @param protocol   TCP or UDP (SCTP is rejected by the parser)
 * @param port       the service port, 1..65535
 * @param targetPort the pod port: a number, or a name the endpoint controller resolved into the slices'
 *                   port numbers; informational for the engine, which takes the slices' numbers
 * @param nodePort   0 when none (ClusterIP services, or LoadBalancer without NodePorts)
 */
public record ServicePort(int index, String name, Protocol protocol, int port, TargetPort targetPort, int nodePort) {

    /** A target port: exactly one of number (1..65535) and name is set. */
    public record TargetPort(int number, String name) {

        public static TargetPort of(int number) {
            return new TargetPort(number, null);
        }

        public static TargetPort named(String name) {
            return new TargetPort(0, name);
        }

        public boolean isNamed() {
            return name != null;
        }

        @Override
        public String toString() {
            return isNamed() ? name : Integer.toString(number);
        }
    }

    /** {@code name port/PROTO}, e.g. {@code http 80/TCP}, for messages. */
    public String describe() {
        return (name.isEmpty() ? "" : name + " ") + port + "/" + protocol;
    }
}
