package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.net.PortRange;

/**
 * Splits a port range into aligned power-of-two blocks, the form the {@code pol} trie stores
 * ({@code dport} with a prefix). Stateless.
 */
public final class PortBlocks {

    /** One aligned block: {@code first} with the top {@code bits} bits significant (16 = one port). */
    public record Block(int first, int bits) {
        public int last() {
            return first + (1 << (16 - bits)) - 1;
        }
    }

    private PortBlocks() {
    }

    /** The minimal list of aligned blocks covering exactly the range, in order. */
    public static List<Block> split(PortRange r) {
        List<Block> out = new ArrayList<>();
        int cur = r.first();
        while (cur <= r.last()) {
            Block b = largestAt(cur, r.last());
            out.add(b);
            cur = b.last() + 1;
        }
        return out;
    }

    /** The prefix bits of the block of the range's split that contains the port (which must be in it). */
    public static int blockBits(PortRange r, int port) {
        int cur = r.first();
        while (cur <= r.last()) {
            Block b = largestAt(cur, r.last());
            if (port <= b.last()) {
                return b.bits();
            }
            cur = b.last() + 1;
        }
        throw new IllegalArgumentException("port " + port + " not in " + r);
    }

    private static Block largestAt(int cur, int last) {
        int size = cur == 0 ? 1 << 16 : Integer.lowestOneBit(cur);
        while (cur + size - 1 > last) {
            size >>= 1;
        }
        return new Block(cur, 16 - Integer.numberOfTrailingZeros(size));
    }
}
