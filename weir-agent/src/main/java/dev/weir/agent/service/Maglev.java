package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4): a lookup table of prime size M
 * in which every backend owns about M/N entries, and adding or removing one backend moves few entries.
 *
 * <p>Each backend's preference list is a permutation of 0..M-1 from two hashes of its identity, its
 * address (16 bytes, IPv4 v4-mapped) and port (2 bytes, network order): {@code offset = h1 % M},
 * {@code skip = h2 % (M - 1) + 1}, {@code permutation[j] = (offset + j * skip) % M}, with h1 and h2 the
 * XXH64 of those 18 bytes under two fixed seeds. Backends then take turns, in the order of their
 * identity (so the input order does not matter), each claiming its next preferred free entry, until the
 * table is full. Every node computes the same table for the same backend set. Stateless.
 */
public final class Maglev {

    /** The default table size, a prime: 16381. */
    public static final int DEFAULT_M = 16381;
    static final long SEED_OFFSET = 0L;
    static final long SEED_SKIP = 0x5745495200000001L;

    private Maglev() {
    }

    /**
     * A backend as Maglev sees it: its identity (address, port) and the id written into the table.
     *
     * @param address the backend address
     * @param port    the backend port
     * @param id      the value its table entries get (the backend id)
     */
    public record Backend(IpAddress address, int port, int id) {
    }

    /**
     * The lookup table: entry i holds the id of the backend that serves hash values ≡ i (mod M).
     *
     * @param backends distinct by (address, port); any order
     * @param m        the table size, a prime at least 2
     * @return M ids; an empty array when there are no backends
     * @throws IllegalArgumentException when M is not prime or two backends share an identity
     */
    public static int[] table(List<Backend> backends, int m) {
        if (!isPrime(m)) {
            throw new IllegalArgumentException("Maglev table size " + m + " is not prime");
        }
        if (backends.isEmpty()) {
            return new int[0];
        }
        List<Backend> sorted = new ArrayList<>(backends);
        sorted.sort(Comparator.comparing(Backend::address).thenComparingInt(Backend::port));
        int n = sorted.size();
        long[] pos = new long[n];
        long[] skip = new long[n];
        for (int i = 0; i < n; i++) {
            Backend b = sorted.get(i);
            if (i > 0 && b.address().equals(sorted.get(i - 1).address()) && b.port() == sorted.get(i - 1).port()) {
                throw new IllegalArgumentException("duplicate Maglev backend " + b.address().withPort(b.port()));
            }
            byte[] key = key(b);
            pos[i] = Long.remainderUnsigned(XxHash64.hash(key, SEED_OFFSET), m);
            skip[i] = Long.remainderUnsigned(XxHash64.hash(key, SEED_SKIP), m - 1) + 1;
        }
        return populate(sorted, pos, skip, m);
    }

    private static int[] populate(List<Backend> sorted, long[] pos, long[] skip, int m) {
        int[] table = new int[m];
        boolean[] taken = new boolean[m];
        int filled = 0;
        while (true) {
            for (int i = 0; i < sorted.size(); i++) {
                int c = (int) pos[i];
                while (taken[c]) {
                    c = (int) ((c + skip[i]) % m);
                }
                taken[c] = true;
                table[c] = sorted.get(i).id();
                pos[i] = (c + skip[i]) % m;
                if (++filled == m) {
                    return table;
                }
            }
        }
    }

    static byte[] key(Backend b) {
        byte[] key = Arrays.copyOf(b.address().bytes16(), 18);
        key[16] = (byte) (b.port() >>> 8);
        key[17] = (byte) b.port();
        return key;
    }

    /** True for primes (trial division; M is at most a few hundred thousand). */
    public static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (int d = 3; (long) d * d <= n; d += 2) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
