package dev.weir.agent.policy;

import dev.weir.agent.net.Cidr;

/**
 * A prefix with its bytes held once, for allocation-free containment tests on hot paths ({@link Cidr}'s
 * own accessors copy). Immutable.
 */
record PrefixMatch(byte[] net, int length) {

    static PrefixMatch of(Cidr c) {
        return new PrefixMatch(c.address(), c.length());
    }

    /** True when the address (4 or 16 bytes) lies in the prefix. */
    boolean containsAddress(byte[] ip) {
        return ip.length == net.length && leadingBitsEqual(ip, length);
    }

    /** True when the other prefix lies inside this one. */
    boolean contains(PrefixMatch o) {
        return o.net.length == net.length && o.length >= length && leadingBitsEqual(o.net, length);
    }

    private boolean leadingBitsEqual(byte[] a, int bits) {
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != net[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (a[full] & mask) == (net[full] & mask);
    }
}
