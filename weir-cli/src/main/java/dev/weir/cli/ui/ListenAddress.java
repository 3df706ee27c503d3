package dev.weir.cli.ui;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Where {@code weir ui} listens: an IP address (or {@code localhost}) and a port, {@code 0} for any free one.
 * Names other than {@code localhost} are refused, so the address bound is the one written. Immutable.
 */
public record ListenAddress(InetAddress host, int port) {

    /** Loopback, on the port the Cilium CLI's {@code hubble ui} forwards to. */
    public static final String DEFAULT = "127.0.0.1:12000";

    /**
     * {@code HOST:PORT}, {@code [V6]:PORT} or {@code localhost:PORT}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static ListenAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("--listen: '" + text + "' is not HOST:PORT (e.g. " + DEFAULT + ")");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("--listen: '" + text + "': write an IPv6 address in brackets, [ADDRESS]:PORT");
        }
        return new ListenAddress(host(text, host), port(text, text.substring(colon + 1)));
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    private static InetAddress host(String text, String host) {
        if (host.equals("localhost")) {
            return InetAddress.getLoopbackAddress();
        }
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--listen: '" + text + "': '" + host + "' is not an IP address (or localhost)");
        }
    }

    private static int port(String text, String port) {
        try {
            int p = Integer.parseInt(port);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("--listen: '" + text + "': port '" + port + "' is not 0 to 65535");
    }
}
