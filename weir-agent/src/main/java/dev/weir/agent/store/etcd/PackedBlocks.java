package dev.weir.agent.store.etcd;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.weir.agent.store.StoreException;

/**
 * The value of one block of a packed table ({@link PackedNodeTable}): the numbers of the block that are in
 * use and their keys, one line each, {@code <number> <key>\n}, in number order. In a key, {@code %} is
 * written {@code %25} and a line break {@code %0A} / {@code %0D}; nothing else is escaped, so the service and
 * backend keys ({@code ns/name:80/TCP}, {@code 10.0.0.1:8080/TCP}) are stored as they are. Stateless.
 */
final class PackedBlocks {

    /** Numbers per block: block {@code B} holds {@code B * SIZE .. B * SIZE + SIZE - 1}. */
    static final int SIZE = 1024;

    private PackedBlocks() {
    }

    static long blockOf(long number) {
        return number / SIZE;
    }

    static byte[] encode(SortedMap<Integer, String> entries) {
        StringBuilder s = new StringBuilder(entries.size() * 24);
        for (Map.Entry<Integer, String> e : entries.entrySet()) {
            s.append(e.getKey()).append(' ');
            escape(e.getValue(), s);
            s.append('\n');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The entries of block {@code block}, number to key.
     *
     * @param where the block's key, for the message
     * @throws StoreException when the value is not a block of that number (written by hand or damaged)
     */
    static TreeMap<Integer, String> decode(byte[] value, long block, String where) {
        TreeMap<Integer, String> out = new TreeMap<>();
        String s = new String(value, StandardCharsets.UTF_8);
        int i = 0;
        while (i < s.length()) {
            int space = s.indexOf(' ', i);
            int end = s.indexOf('\n', i);
            if (space < 0 || end < 0 || space > end) {
                throw bad(where, "a line without '<number> <key>'");
            }
            long n;
            try {
                n = Long.parseLong(s, i, space, 10);
            } catch (NumberFormatException e) {
                throw bad(where, "'" + s.substring(i, space) + "' is not a number");
            }
            if (n < 1 || n > Integer.MAX_VALUE || blockOf(n) != block) {
                throw bad(where, n + " is not a number of block " + block);
            }
            if (out.put((int) n, unescape(s.substring(space + 1, end))) != null) {
                throw bad(where, n + " twice");
            }
            i = end + 1;
        }
        return out;
    }

    private static StoreException bad(String where, String why) {
        return new StoreException("not a block of numbers at " + where + ": " + why);
    }

    private static void escape(String key, StringBuilder out) {
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            switch (c) {
                case '%' -> out.append("%25");
                case '\n' -> out.append("%0A");
                case '\r' -> out.append("%0D");
                default -> out.append(c);
            }
        }
    }

    private static String unescape(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (s.startsWith("%25", i)) {
                out.append('%');
                i += 2;
            } else if (s.startsWith("%0A", i)) {
                out.append('\n');
                i += 2;
            } else if (s.startsWith("%0D", i)) {
                out.append('\r');
                i += 2;
            } else {
                out.append(s.charAt(i));
            }
        }
        return out.toString();
    }

    /** The bytes a block's put adds to a transaction: its key and value, and a little for the request's framing. */
    static int cost(String key, byte[] value) {
        return key.getBytes(StandardCharsets.UTF_8).length + value.length + 32;
    }
}
