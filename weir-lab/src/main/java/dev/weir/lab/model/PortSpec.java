package dev.weir.lab.model;

import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A protocol and port, written {@code TCP/80}: what a probe targets and how the matrix is keyed.
 *
 * @param protocol TCP or UDP
 * @param port 1 to 65535
 */
public record PortSpec(Protocol protocol, int port) {

    /** The four ports every pod serves, in matrix order. */
    public static final List<PortSpec> SERVED = List.of(
            new PortSpec(Protocol.TCP, 80), new PortSpec(Protocol.TCP, 81),
            new PortSpec(Protocol.UDP, 80), new PortSpec(Protocol.UDP, 81));

    public PortSpec {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, not " + port);
        }
    }

    /**
     * Parses {@code PROTO/PORT}, protocol case-insensitive.
     *
     * @throws IllegalArgumentException naming the text when it is not of that form
     */
    @JsonCreator
    public static PortSpec parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not PROTO/PORT (e.g. TCP/80, UDP/81)");
        }
        String proto = text.substring(0, slash).toUpperCase(Locale.ROOT);
        Protocol protocol = switch (proto) {
            case "TCP" -> Protocol.TCP;
            case "UDP" -> Protocol.UDP;
            default -> throw new IllegalArgumentException(
                    "unknown protocol '" + text.substring(0, slash) + "' in '" + text + "' (TCP or UDP)");
        };
        try {
            return new PortSpec(protocol, Integer.parseInt(text.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text.substring(slash + 1) + "' in '" + text + "' is not a port number");
        }
    }

    @JsonValue
    @Override
    public String toString() {
        return protocol + "/" + port;
    }
}
