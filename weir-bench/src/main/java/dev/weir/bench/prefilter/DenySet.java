package dev.weir.bench.prefilter;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

import dev.weir.agent.net.Cidr;

/**
 * A deny list for the benchmark and two source addresses to test it with: {@code matched} lies inside
 * one of the prefixes, {@code unmatched} in the same address range but outside all of them (checked,
 * not assumed), so an unmatched lookup walks the trie as deep as real traffic would. Generated from a
 * fixed seed: the same arguments give the same set in every run. Immutable.
 *
 * @param prefixes  distinct prefixes, in generation order
 * @param matched   a source address inside {@code prefixes.get(prefixes.size() / 2)}
 * @param unmatched a source address that no prefix contains
 */
record DenySet(List<Cidr> prefixes, byte[] matched, byte[] unmatched) {

    private static final long SEED = 0x5EEDL;
    /** Prefix lengths of the IPv6 sweep: allocations, sites, subnets and hosts. */
    private static final int[] V6_LENGTHS = {32, 48, 56, 64, 128};

    DenySet {
        prefixes = List.copyOf(prefixes);
        matched = matched.clone();
        unmatched = unmatched.clone();
    }

    @Override
    public byte[] matched() {
        return matched.clone();
    }

    @Override
    public byte[] unmatched() {
        return unmatched.clone();
    }

    int size() {
        return prefixes.size();
    }

    /** {@code n} IPv4 host addresses (/32), as an exact-address filter holds them. */
    static DenySet hosts4(int n) {
        Random rng = new Random(SEED + n);
        return generate(n, rng, () -> random4(rng), () -> 32);
    }

    /** {@code n} IPv4 networks of one length, e.g. /24. */
    static DenySet networks4(int n, int length) {
        Random rng = new Random(SEED + 31L * n + length);
        return generate(n, rng, () -> random4(rng), () -> length);
    }

    /** {@code n} IPv4 prefixes of lengths 16 to 32, overlapping as real lists do. */
    static DenySet mixed4(int n) {
        Random rng = new Random(SEED + 7L * n);
        return generate(n, rng, () -> random4(rng), () -> 16 + rng.nextInt(17));
    }

    /** {@code n} IPv6 prefixes in 2000::/3 of lengths /32, /48, /56, /64 and /128. */
    static DenySet mixed6(int n) {
        Random rng = new Random(SEED + 13L * n);
        return generate(n, rng, () -> random6(rng), () -> V6_LENGTHS[rng.nextInt(V6_LENGTHS.length)]);
    }

    private static DenySet generate(int n, Random rng, Supplier<byte[]> address, Supplier<Integer> length) {
        if (n < 1) {
            throw new IllegalArgumentException("a deny set needs at least one prefix: " + n);
        }
        Set<Cidr> out = new LinkedHashSet<>();
        while (out.size() < n) {
            out.add(new Cidr(address.get(), length.get()));
        }
        List<Cidr> prefixes = new ArrayList<>(out);
        Coverage coverage = new Coverage(prefixes);
        Cidr target = prefixes.get(prefixes.size() / 2);
        byte[] matched = inside(target, rng);
        byte[] unmatched;
        do {
            unmatched = address.get();
        } while (coverage.covers(unmatched));
        return new DenySet(prefixes, matched, unmatched);
    }

    /** A random address inside the prefix (its host bits randomised). */
    private static byte[] inside(Cidr prefix, Random rng) {
        byte[] a = prefix.address();
        byte[] noise = new byte[a.length];
        rng.nextBytes(noise);
        for (int bit = prefix.length(); bit < a.length * 8; bit++) {
            int mask = 0x80 >>> (bit % 8);
            a[bit / 8] = (byte) ((a[bit / 8] & ~mask) | (noise[bit / 8] & mask));
        }
        return a;
    }

    /** Unicast IPv4 from 11.0.0.0 to 126.255.255.255. */
    private static byte[] random4(Random rng) {
        int v = ((11 + rng.nextInt(116)) << 24) | rng.nextInt(1 << 24);
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** Global unicast IPv6, 2000::/3. */
    private static byte[] random6(Random rng) {
        byte[] a = new byte[16];
        rng.nextBytes(a);
        a[0] = (byte) (0x20 | (a[0] & 0x1f));
        return a;
    }

    /** Which addresses a set of prefixes contains: one set of network numbers per prefix length. */
    private static final class Coverage {
        private final Map<Integer, Set<BigInteger>> byLength = new HashMap<>();
        private final int bits;

        Coverage(List<Cidr> prefixes) {
            this.bits = prefixes.getFirst().address().length * 8;
            for (Cidr c : prefixes) {
                byLength.computeIfAbsent(c.length(), k -> new HashSet<>()).add(network(c.address(), c.length()));
            }
        }

        boolean covers(byte[] address) {
            for (var e : byLength.entrySet()) {
                if (e.getValue().contains(network(address, e.getKey()))) {
                    return true;
                }
            }
            return false;
        }

        private BigInteger network(byte[] address, int length) {
            return new BigInteger(1, address).shiftRight(bits - length);
        }
    }
}
