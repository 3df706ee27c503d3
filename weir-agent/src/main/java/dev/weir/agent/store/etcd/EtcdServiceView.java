package dev.weir.agent.store.etcd;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import dev.weir.agent.cluster.NodeRecord;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoredObject;
import io.etcd.jetcd.KeyValue;

/**
 * The Services and EndpointSlices as stored in etcd, with every node's record, read once at one etcd revision
 * without an agent: for {@code weir service list --kvstore-endpoints} on a host without one (docs/kvstore.md,
 * "Reading without an agent"). Each object carries its revision and each node record the revision its
 * dataplane enforces, so a reader can tell which nodes have taken an object. How a node translates them (its
 * service and backend ids, its own NodePort addresses) is that node's agent's and is not here.
 *
 * @param revision   the etcd revision read at
 * @param objects    the {@code Service} and {@code EndpointSlice} objects, sorted by key
 * @param nodes      node records by name
 * @param unreadable how many node records did not decode
 */
public record EtcdServiceView(long revision, List<StoredObject> objects, SortedMap<String, NodeRecord> nodes, int unreadable) {

    /** The kinds read. */
    public static final List<String> KINDS = List.of("Service", "EndpointSlice");

    /**
     * Reads the view through {@code etcd}.
     *
     * @throws StoreException kvstore unavailable
     */
    public static EtcdServiceView read(Etcd etcd) {
        List<EtcdReads.Range> ranges = new ArrayList<>();
        KINDS.forEach(k -> ranges.add(EtcdReads.Range.under(EtcdKeys.OBJECTS + k + "/")));
        ranges.add(EtcdReads.Range.under("nodes/"));
        EtcdReads.Listing l = EtcdReads.list(etcd, "read the services", ranges, 0);
        List<KeyValue> objects = new ArrayList<>();
        SortedMap<String, NodeRecord> nodes = new TreeMap<>();
        int bad = 0;
        for (KeyValue kv : l.kvs()) {
            if (etcd.relative(kv.getKey()).startsWith("nodes/")) {
                try {
                    NodeRecord r = EtcdNodeRegistry.JSON.readValue(kv.getValue().getBytes(), NodeRecord.class);
                    nodes.put(r.name(), r);
                } catch (IOException | RuntimeException e) {
                    bad++;
                }
            } else {
                objects.add(kv);
            }
        }
        return new EtcdServiceView(l.revision(), List.copyOf(ObjectCache.decodeAll(etcd, objects)),
                Collections.unmodifiableSortedMap(nodes), bad);
    }
}
