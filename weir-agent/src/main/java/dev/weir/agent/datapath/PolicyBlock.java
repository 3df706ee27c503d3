package dev.weir.agent.datapath;

/**
 * One entry of the {@code pol} LPM trie within an endpoint and direction, as a bit prefix over the
 * 64 key bits after the exact fields: identity (32), family (8), protocol (8), destination port (16).
 * {@code length} is 32..64: 32 stops at the identity, 40 at the family, 48 at the protocol, 48+k keeps
 * k bits of the port. Bits past the length are zero. Immutable.
 *
 * @param bits   the key bits, identity in the top 32
 * @param length how many leading bits are significant, 32..64
 * @param deny   deny (true) or allow
 * @param rule   rule reference for flows, 0 none
 */
public record PolicyBlock(long bits, int length, boolean deny, int rule) {

    public static final int IDENTITY_BITS = 32;
    public static final int FAMILY_END = 40;
    public static final int PROTO_END = 48;
    public static final int KEY_BITS = 64;

    public PolicyBlock {
        if (length < IDENTITY_BITS || length > KEY_BITS) {
            throw new IllegalArgumentException("prefix length " + length + " outside 32..64");
        }
        bits &= mask(length);
    }

    /** The mask of the first {@code len} bits of 64. */
    public static long mask(int len) {
        return len == 0 ? 0 : -1L << (KEY_BITS - len);
    }

    /** True when this block contains the other (it is a prefix of it). */
    public boolean contains(PolicyBlock o) {
        return length <= o.length && (o.bits & mask(length)) == bits;
    }

    public int identity() {
        return (int) (bits >>> 32);
    }

    public int family() {
        return length >= FAMILY_END ? (int) ((bits >>> 24) & 0xff) : 0;
    }

    public int proto() {
        return length >= PROTO_END ? (int) ((bits >>> 16) & 0xff) : 0;
    }

    public int port() {
        return (int) (bits & 0xffff);
    }

    /** Port bits kept, 0..16. */
    public int portBits() {
        return Math.max(0, length - PROTO_END);
    }

    /** The same key with another action/rule. */
    public PolicyBlock with(boolean d, int r) {
        return new PolicyBlock(bits, length, d, r);
    }

    static long key(int identity, int family, int proto, int port) {
        return ((long) identity << 32) | ((long) (family & 0xff) << 24) | ((long) (proto & 0xff) << 16) | (port & 0xffff);
    }
}
