package dev.weir.ebpf.netlink;

import java.net.InetAddress;

/**
 * A route in the main table out of the interface {@code index}: to {@code destination/prefix} (prefix 0: the
 * default route), through {@code gateway} or directly (scope link) when null, with the preferred source
 * {@code source} or none; {@code replace} replaces an existing route to the destination instead of failing.
 */
public record Route(InetAddress destination, int prefix, int index, InetAddress gateway, InetAddress source, boolean replace) {

    public Route {
        int bits = destination.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix /" + prefix + " out of range for " + destination.getHostAddress());
        }
        if (gateway != null && gateway.getAddress().length != destination.getAddress().length) {
            throw new IllegalArgumentException("gateway " + gateway.getHostAddress() + " is not of the family of "
                    + destination.getHostAddress());
        }
    }

    /** {@code ip route add DST/PREFIX dev INDEX scope link}. */
    public static Route direct(InetAddress destination, int prefix, int index) {
        return new Route(destination, prefix, index, null, null, false);
    }

    /** {@code ip route add default via GATEWAY dev INDEX}. */
    public static Route defaultVia(InetAddress gateway, int index) {
        InetAddress any = gateway.getAddress().length == 4 ? address("0.0.0.0") : address("::");
        return new Route(any, 0, index, gateway, null, false);
    }

    /** The same route, replacing one to the same destination. */
    public Route replacing() {
        return new Route(destination, prefix, index, gateway, source, true);
    }

    /** The same route with a preferred source address (null: none). */
    public Route from(InetAddress src) {
        return new Route(destination, prefix, index, gateway, src, replace);
    }

    @Override
    public String toString() {
        return (prefix == 0 ? "default" : destination.getHostAddress() + "/" + prefix)
                + (gateway == null ? "" : " via " + gateway.getHostAddress())
                + (source == null ? "" : " src " + source.getHostAddress());
    }

    /** An address literal (no name lookup). */
    public static InetAddress address(String literal) {
        try {
            return InetAddress.ofLiteral(literal);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an address literal: '" + literal + "'", e);
        }
    }
}
