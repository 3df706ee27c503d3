package dev.weir.agent.store.etcd;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.EndpointRecord;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoreIdentityAllocator;
import io.etcd.jetcd.KeyValue;

/**
 * The cluster as the agents publish it in etcd, read once, at one etcd revision, without an agent (docs/kvstore.md):
 * every node's record, every endpoint, every allocated identity with the nodes that reference it. For the CLI on a
 * host without an agent ({@code weir status|node list|endpoint list|identity list --kvstore-endpoints}). Nothing
 * is computed but the identity labels of an endpoint, which only name its allocation; what only an agent computes
 * (policy enforcement, service ids) is not here. Records that do not decode are skipped and counted.
 *
 * @param revision   the etcd revision read at
 * @param nodes      node records by name
 * @param endpoints  endpoint records, by {@code node/namespace/pod}
 * @param identities allocated identities by number
 * @param unreadable how many records did not decode
 */
public record EtcdClusterView(long revision, SortedMap<String, NodeRecord> nodes, SortedMap<String, EndpointRecord> endpoints,
                              SortedMap<Integer, Identity> identities, int unreadable) {

    /**
     * @param kind   {@code ENDPOINT} or {@code CIDR}
     * @param labels its labels
     * @param nodes  the nodes whose endpoints reference it (none for a CIDR identity)
     */
    public record Identity(int id, String kind, Map<String, String> labels, SortedSet<String> nodes) {
    }

    private static final String[] TABLES = {StoreIdentityAllocator.ENDPOINT_TABLE, "cidr-identities"};

    /**
     * Reads the view through {@code etcd}.
     *
     * @throws StoreException kvstore unavailable
     */
    public static EtcdClusterView read(Etcd etcd) {
        List<EtcdReads.Range> ranges = new ArrayList<>(List.of(EtcdReads.Range.under("nodes/"), EtcdReads.Range.under("endpoints/"),
                EtcdReads.Range.under("refs/" + StoreIdentityAllocator.ENDPOINT_TABLE + "/")));
        for (String t : TABLES) {
            ranges.add(EtcdReads.Range.under(EtcdKeys.keys(t)));
        }
        EtcdReads.Listing l = EtcdReads.list(etcd, "read the cluster", ranges, 0);
        SortedMap<String, NodeRecord> nodes = new TreeMap<>();
        SortedMap<String, EndpointRecord> endpoints = new TreeMap<>();
        Map<String, SortedSet<String>> refs = new TreeMap<>();
        Map<String, Integer> allocated = new TreeMap<>();
        int bad = 0;
        String refsPrefix = "refs/" + StoreIdentityAllocator.ENDPOINT_TABLE + "/";
        for (KeyValue kv : l.kvs()) {
            String key = etcd.relative(kv.getKey());
            try {
                if (key.startsWith("nodes/")) {
                    NodeRecord r = EtcdNodeRegistry.JSON.readValue(kv.getValue().getBytes(), NodeRecord.class);
                    nodes.put(r.name(), r);
                } else if (key.startsWith("endpoints/")) {
                    endpoints.put(key.substring("endpoints/".length()),
                            EtcdNodeRegistry.JSON.readValue(kv.getValue().getBytes(), EndpointRecord.class));
                } else if (key.startsWith(refsPrefix)) {
                    String[] ref = EtcdKeys.refParts(StoreIdentityAllocator.ENDPOINT_TABLE, key);
                    if (ref == null) {
                        bad++;
                    } else {
                        refs.computeIfAbsent(ref[0], k -> new TreeSet<>()).add(ref[1]);
                    }
                } else {
                    for (String t : TABLES) {
                        if (key.startsWith(EtcdKeys.keys(t))) {
                            String labels = EtcdKeys.allocKeyName(t, key);
                            if (labels == null) {
                                bad++;
                            } else {
                                allocated.put(t + "\n" + labels, Integer.parseInt(Etcd.string(kv.getValue()).trim()));
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                bad++;
            }
        }
        SortedMap<Integer, Identity> identities = new TreeMap<>();
        allocated.forEach((tableAndKey, id) -> {
            int nl = tableAndKey.indexOf('\n');
            String table = tableAndKey.substring(0, nl);
            String labels = tableAndKey.substring(nl + 1);
            boolean cidr = !table.equals(StoreIdentityAllocator.ENDPOINT_TABLE);
            identities.put(id, new Identity(id, cidr ? "CIDR" : "ENDPOINT", StoreIdentityAllocator.labelsOf(labels),
                    Collections.unmodifiableSortedSet(cidr ? new TreeSet<>() : refs.getOrDefault(labels, new TreeSet<>()))));
        });
        return new EtcdClusterView(l.revision(), Collections.unmodifiableSortedMap(nodes),
                Collections.unmodifiableSortedMap(endpoints), Collections.unmodifiableSortedMap(identities), bad);
    }

    /** Each endpoint's identity as allocated (its labels in its namespace), by endpoint key; 0 when none is yet. */
    public Map<String, Integer> endpointIdentities() {
        Map<Map<String, String>, Integer> byLabels = new java.util.HashMap<>();
        identities.values().forEach(i -> byLabels.put(i.labels(), i.id()));
        Map<String, Integer> out = new TreeMap<>();
        endpoints.forEach((key, e) -> {
            Endpoint ep = new Endpoint(e.id(), e.namespace(), e.name(), e.labels(), e.node(), e.ipv4(), e.ipv6(), e.iface(), e.cgroup());
            Map<String, String> labels = Identities.endpointLabels(ep, new Namespace(e.namespace(), e.namespaceLabels()));
            out.put(key, byLabels.getOrDefault(labels, 0));
        });
        return out;
    }
}
