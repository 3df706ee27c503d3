package dev.weir.datapath.lb;

/**
 * The client-tuple hash of {@code lb_hash_tuple()} in {@code bpf/lib/lb.h}: jhash2 (lookup3) of the
 * 16-byte address as four big-endian words and {@code port << 16 | proto}, seeded with {@link #SEED}.
 * Maglev's index is {@code Integer.remainderUnsigned(tuple(...), M)}. Stateless.
 */
public final class LbHash {

    /** {@code LB_HASH_SEED}. */
    public static final int SEED = 0x7765ef21;

    private LbHash() {
    }

    /** The hash of a client tuple: 16-byte address (IPv4 v4-mapped), port (host order), protocol. */
    public static int tuple(byte[] addr16, int port, int proto) {
        if (addr16.length != 16) {
            throw new IllegalArgumentException("16-byte address expected, got " + addr16.length);
        }
        int[] k = new int[5];
        for (int i = 0; i < 4; i++) {
            k[i] = (addr16[4 * i] & 0xff) << 24 | (addr16[4 * i + 1] & 0xff) << 16 | (addr16[4 * i + 2] & 0xff) << 8
                    | addr16[4 * i + 3] & 0xff;
        }
        k[4] = (port & 0xffff) << 16 | proto & 0xff;
        int a = 0xdeadbeef + (5 << 2) + SEED;
        int b = a;
        int c = a;
        a += k[0];
        b += k[1];
        c += k[2];
        a -= c; a ^= Integer.rotateLeft(c, 4);  c += b;
        b -= a; b ^= Integer.rotateLeft(a, 6);  a += c;
        c -= b; c ^= Integer.rotateLeft(b, 8);  b += a;
        a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
        b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
        c -= b; c ^= Integer.rotateLeft(b, 4);  b += a;
        b += k[4];
        a += k[3];
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    /** The Maglev table index of a client tuple for a table of size {@code m}. */
    public static int maglevIndex(byte[] addr16, int port, int proto, int m) {
        return Integer.remainderUnsigned(tuple(addr16, port, proto), m);
    }
}
