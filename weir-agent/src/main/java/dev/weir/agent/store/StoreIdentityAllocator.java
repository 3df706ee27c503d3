package dev.weir.agent.store;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Identity numbers shared by the cluster's nodes through the store: the same label set gets the same
 * number on every node and after every restart. Endpoint identities come from 256 up, CIDR identities
 * (label sets whose keys all start with {@code cidr:}) from {@code 1 << 24} up, and label sets naming a
 * reserved identity ({@code reserved:host}, {@code reserved:world}, {@code reserved:remote-node}) get
 * its fixed number (docs/policy-datapath.md).
 *
 * <p>It has the shape of the policy engine's {@code IdentityAllocator} ({@code allocate} / {@code release});
 * the adapter that hands it to the engine is one line. Numbers are never reused, so {@link #release} keeps
 * the allocation: stable numbers matter more than a dense range. Thread-safe; throws
 * {@link StoreException} when the store cannot be written or a range is full.
 */
public final class StoreIdentityAllocator {

    public static final int FIRST_ENDPOINT = 256;
    public static final int FIRST_CIDR = 1 << 24;
    private static final Map<String, Integer> RESERVED = Map.of("reserved:host", 1, "reserved:world", 2,
            "reserved:remote-node", 6);

    /** The table of endpoint identities, whose keys nodes reference ({@link #referenceKey}). */
    public static final String ENDPOINT_TABLE = "identities";

    private final Store store;
    private final Store.Allocations endpoints;
    private final Store.Allocations cidrs;

    public StoreIdentityAllocator(Store store) {
        this.store = store;
        this.endpoints = store.allocations(ENDPOINT_TABLE, FIRST_ENDPOINT, FIRST_CIDR - 1);
        this.cidrs = store.allocations("cidr-identities", FIRST_CIDR, Integer.MAX_VALUE - 1);
    }

    /** The identity of the label set, allocating it the first time it is seen anywhere in the cluster. */
    public int allocate(Map<String, String> labels) {
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("an identity needs at least one label");
        }
        if (labels.size() == 1) {
            Integer reserved = RESERVED.get(labels.keySet().iterator().next());
            if (reserved != null) {
                return reserved;
            }
        }
        String key = canonical(labels);
        boolean cidr = labels.keySet().stream().allMatch(k -> k.startsWith("cidr:"));
        return (cidr ? cidrs : endpoints).allocate(key);
    }

    /** References are not counted per caller: identities are collected by {@link #collect} instead. */
    public void release(int identity) {
        // deliberately nothing: see collect()
    }

    /** How long an identity must be unused, in every computation of this agent, before it is collected. */
    public static final java.time.Duration GRACE = java.time.Duration.ofSeconds(60);

    private final Map<Integer, java.time.Instant> unusedSince = new java.util.HashMap<>();

    /**
     * Garbage collection: forgets the label sets of identities that no computation has used for
     * {@link #GRACE} while the store was {@link Store#live live} throughout (every agent computes the whole
     * cluster from a view without gaps, so "in use" is the same on every node), and that no node references
     * ({@link Store.Allocations#releaseUnreferenced}: with etcd, every node references the identities of its own
     * endpoints, so one whose endpoint this view has not seen yet is kept). A
     * collected label set that comes back gets a new number. Returns the identities collected now.
     * Called from one thread (the sync loop).
     */
    public java.util.List<Integer> collect(java.util.Set<Integer> inUse, java.time.Instant now) {
        if (!store.live()) {
            // a view with a gap may miss a node's new endpoint: unused time counts again from when it follows
            unusedSince.clear();
            return java.util.List.of();
        }
        SortedMap<Integer, Map<String, String>> all = all();
        unusedSince.keySet().removeIf(id -> inUse.contains(id) || !all.containsKey(id));
        java.util.List<Integer> due = new java.util.ArrayList<>();
        all.forEach((id, labels) -> {
            if (!inUse.contains(id)) {
                java.time.Instant since = unusedSince.computeIfAbsent(id, k -> now);
                if (!now.isBefore(since.plus(GRACE))) {
                    due.add(id);
                }
            }
        });
        if (due.isEmpty()) {
            return due;
        }
        Map<String, Integer> endpointKeys = new TreeMap<>();
        Map<String, Integer> cidrKeys = new TreeMap<>();
        for (int id : due) {
            (id >= FIRST_CIDR ? cidrKeys : endpointKeys).put(canonical(all.get(id)), id);
        }
        // a node may use an identity this agent's view has not seen yet (its endpoint not yet published)
        java.util.List<Integer> released = new java.util.ArrayList<>();
        endpoints.releaseUnreferenced(endpointKeys.keySet()).forEach(k -> released.add(endpointKeys.get(k)));
        cidrs.releaseUnreferenced(cidrKeys.keySet()).forEach(k -> released.add(cidrKeys.get(k)));
        released.forEach(unusedSince::remove);
        java.util.Collections.sort(released);
        return released;
    }

    /**
     * The key under which the endpoint identity with these labels is allocated (and which the nodes whose
     * endpoints use it reference, docs/kvstore.md); null for a reserved or CIDR identity, which nobody references.
     */
    public static String referenceKey(int identity, Map<String, String> labels) {
        return identity >= FIRST_ENDPOINT && identity < FIRST_CIDR ? canonical(labels) : null;
    }

    /** Every allocated identity with its labels, by number. */
    public SortedMap<Integer, Map<String, String>> all() {
        SortedMap<Integer, Map<String, String>> out = new TreeMap<>();
        endpoints.all().forEach((k, v) -> out.put(v, parse(k)));
        cidrs.all().forEach((k, v) -> out.put(v, parse(k)));
        return out;
    }

    /** {@code k1=v1,k2=v2} with keys sorted; a value may contain anything but a newline. */
    static String canonical(Map<String, String> labels) {
        return new TreeMap<>(labels).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n"));
    }

    /** The labels of an allocation key (as {@link #referenceKey} makes it). */
    public static Map<String, String> labelsOf(String key) {
        return parse(key);
    }

    static Map<String, String> parse(String canonical) {
        Map<String, String> labels = new TreeMap<>();
        for (String line : canonical.split("\n")) {
            int eq = line.indexOf('=');
            labels.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return labels;
    }
}
