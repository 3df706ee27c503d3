package dev.weir.agent.policy;

import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/**
 * The L4 part of a rule: a protocol (null: TCP, UDP and SCTP — weir's {@code ANY}) and destination
 * ports (null: all). Immutable.
 */
public record PortRule(Protocol protocol, PortRange ports) {

    public boolean matches(int proto, int port) {
        boolean protoOk = protocol == null ? isPortProtocol(proto) : protocol.number() == proto;
        return protoOk && (ports == null || ports.contains(port));
    }

    static boolean isPortProtocol(int proto) {
        return proto == Protocol.TCP.number() || proto == Protocol.UDP.number() || proto == Protocol.SCTP.number();
    }

    @Override
    public String toString() {
        return (protocol == null ? "ANY" : protocol.name()) + "/" + (ports == null ? "*" : ports);
    }
}
