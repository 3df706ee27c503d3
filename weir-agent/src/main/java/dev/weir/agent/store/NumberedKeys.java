package dev.weir.agent.store;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/**
 * Keys of one id space and their numbers (never 0): the store's allocation tables and the apply check's allocator.
 * A key in the form every IPv4 backend and rev-NAT key has ({@code a.b.c.d:port/PROTOCOL}, as
 * {@code BackendOverrides.key} writes it) is packed into one {@code long} in open-addressing arrays (12 bytes a key
 * instead of ~110 for a string, a boxed number and a map node: a node's backend table holds 100,000 of them at
 * 10,000 services x 10 endpoints); any other key (services, IPv6, identities' labels) goes to a map. Only text in
 * exactly that canonical form is packed, so unpacking gives the key back as it was given. Not thread-safe.
 */
public final class NumberedKeys {

    private static final Protocol[] PROTOCOLS = Protocol.values();
    /** Set in every packed key, so that 0 marks an empty slot. */
    private static final long PRESENT = 1L << 62;

    private long[] keys = new long[16];
    private int[] ids = new int[16];
    private int packedSize;
    private final Map<String, Integer> other = new HashMap<>();

    /** The number of the key, or 0 when it has none. */
    public int get(String key) {
        long p = pack(key);
        if (p == 0) {
            Integer id = other.get(key);
            return id == null ? 0 : id;
        }
        int i = find(p);
        return keys[i] == p ? ids[i] : 0;
    }

    /** Gives the key a number (not 0). */
    public void put(String key, int id) {
        long p = pack(key);
        if (p == 0) {
            other.put(key, id);
            return;
        }
        int i = find(p);
        if (keys[i] != p) {
            keys[i] = p;
            packedSize++;
        }
        ids[i] = id;
        if (packedSize * 3 > keys.length * 2) {
            grow();
        }
    }

    /** Forgets the key; returns its number, or 0 when it had none. */
    public int remove(String key) {
        long p = pack(key);
        if (p == 0) {
            Integer id = other.remove(key);
            return id == null ? 0 : id;
        }
        int i = find(p);
        if (keys[i] != p) {
            return 0;
        }
        int id = ids[i];
        packedSize--;
        // linear probing: move later keys of the run back into the gap, so that every key stays reachable
        int mask = keys.length - 1;
        int gap = i;
        for (int j = (i + 1) & mask; keys[j] != 0; j = (j + 1) & mask) {
            int home = slot(keys[j]);
            if (((j - home) & mask) >= ((j - gap) & mask)) {
                keys[gap] = keys[j];
                ids[gap] = ids[j];
                gap = j;
            }
        }
        keys[gap] = 0;
        ids[gap] = 0;
        return id;
    }

    public int size() {
        return packedSize + other.size();
    }

    /** Every key and its number, in no order. */
    public void forEach(BiConsumer<String, Integer> action) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0) {
                action.accept(unpack(keys[i]), ids[i]);
            }
        }
        other.forEach(action);
    }

    public void clear() {
        keys = new long[16];
        ids = new int[16];
        packedSize = 0;
        other.clear();
    }

    public boolean contains(String key) {
        return get(key) != 0;
    }

    public void putAll(Map<String, Integer> numbered) {
        numbered.forEach(this::put);
    }

    /** Every key and its number, sorted by key (a new map). */
    public java.util.SortedMap<String, Integer> toSortedMap() {
        java.util.SortedMap<String, Integer> out = new java.util.TreeMap<>();
        forEach(out::put);
        return out;
    }

    private int slot(long p) {
        return (int) ((p * 0x9E3779B97F4A7C15L) >>> 40) & (keys.length - 1);
    }

    /** The slot that holds {@code p}, or the empty one where it would go. */
    private int find(long p) {
        int mask = keys.length - 1;
        int i = slot(p);
        while (keys[i] != 0 && keys[i] != p) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldIds = ids;
        keys = new long[oldKeys.length * 2];
        ids = new int[oldKeys.length * 2];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                int j = find(oldKeys[i]);
                keys[j] = oldKeys[i];
                ids[j] = oldIds[i];
            }
        }
    }

    /** {@code a.b.c.d:port/PROTOCOL} in canonical form (no leading zeros) as a long, or 0 for any other text. */
    static long pack(String key) {
        int n = key.length();
        int colon = key.indexOf(':');
        byte[] quad = colon < 0 ? null : Cidr.plainIpv4(key.substring(0, colon));
        if (quad == null) {
            return 0;
        }
        long address = (quad[0] & 0xffL) << 24 | (quad[1] & 0xff) << 16 | (quad[2] & 0xff) << 8 | quad[3] & 0xff;
        int i = colon + 1;
        int start = i;
        int port = 0;
        while (i < n && i - start < 6 && key.charAt(i) >= '0' && key.charAt(i) <= '9') {
            port = port * 10 + key.charAt(i++) - '0';
        }
        int digits = i - start;
        if (digits == 0 || digits > 5 || port > 65535 || digits > 1 && key.charAt(start) == '0') {
            return 0;
        }
        if (i == n || key.charAt(i++) != '/') {
            return 0;
        }
        for (Protocol p : PROTOCOLS) {
            String name = p.toString();
            if (n - i == name.length() && key.startsWith(name, i)) {
                return PRESENT | address << 24 | (long) port << 8 | p.ordinal();
            }
        }
        return 0;
    }

    static String unpack(long p) {
        long address = p >>> 24 & 0xffffffffL;
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff)
                + ":" + (p >>> 8 & 0xffff) + "/" + PROTOCOLS[(int) (p & 0xff)];
    }
}
