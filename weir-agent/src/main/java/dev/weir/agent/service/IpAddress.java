package dev.weir.agent.service;

import java.util.Arrays;

import dev.weir.agent.net.Cidr;

/**
 * One IPv4 or IPv6 address. Immutable; equal by value; ordered IPv4 first, then by bytes (unsigned),
 * which is the order every listing of the service engine uses.
 *
 * @param bytes 4 or 16 bytes, network order
 */
public record IpAddress(byte[] bytes) implements Comparable<IpAddress> {

    public IpAddress {
        if (bytes.length != 4 && bytes.length != 16) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes, not " + bytes.length);
        }
        bytes = bytes.clone();
    }

    /**
     * Parses an IP literal (no prefix, no host name).
     *
     * @throws IllegalArgumentException naming the text
     */
    public static IpAddress parse(String text) {
        if (text.contains("/")) {
            throw new IllegalArgumentException("invalid address '" + text + "': a prefix is not an address");
        }
        return new IpAddress(Cidr.parseAddress(text.strip(), text));
    }

    public IpFamily family() {
        return bytes.length == 4 ? IpFamily.IPV4 : IpFamily.IPV6;
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** 16 bytes, IPv4 as v4-mapped ({@code ::ffff:a.b.c.d}), as the datapath's keys hold addresses. */
    public byte[] bytes16() {
        if (bytes.length == 16) {
            return bytes.clone();
        }
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(bytes, 0, out, 12, 4);
        return out;
    }

    /** True when the address lies in the prefix. */
    public boolean in(Cidr cidr) {
        return cidr.containsAddress(bytes);
    }

    @Override
    public int compareTo(IpAddress o) {
        int c = Integer.compare(bytes.length, o.bytes.length);
        return c != 0 ? c : Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress a && Arrays.equals(bytes, a.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Dotted quad, or RFC 5952 text for IPv6. */
    @Override
    public String toString() {
        String s = new Cidr(bytes, bytes.length * 8).toString();
        return s.substring(0, s.lastIndexOf('/'));
    }

    /** {@code addr:port}, with brackets for IPv6. */
    public String withPort(int port) {
        return (bytes.length == 4 ? toString() : "[" + this + "]") + ":" + port;
    }
}
