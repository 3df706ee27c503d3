package dev.weir.agent.store.etcd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.store.Change;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoreException;
import dev.weir.agent.store.StoredObject;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;

/**
 * The desired state as the {@link RangeMirror} of {@code objects/} and {@code revision} last saw it, published
 * as an immutable {@link Store.Snapshot} after each listing and each watch response (whole etcd revisions,
 * and a commit's key {@code revision} is its transaction's last put, so a snapshot never shows half a
 * commit). A value weir cannot decode (written by hand) is left out. Thread-safe: written by the mirror
 * under its lock, read through a volatile snapshot.
 */
final class ObjectCache implements RangeMirror.Sink {

    private final Etcd etcd;
    private final TreeMap<ObjectKey, StoredObject> objects = new TreeMap<>();
    private long revision;
    /** When {@link #revision} was committed (epoch ms), 0 when its value does not say. */
    private long committedAt;
    private volatile Store.Snapshot snapshot = new Store.Snapshot(0, List.of());
    private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * The documents this process is committing, by key: the watch brings them back as new strings, and the cache
     * keeps the committer's instance instead (the agent taking an apply holds its documents already: its apply
     * check's index; at 10,000 x 10 a second copy was ~15 MB). An entry goes with the key's next event.
     */
    private final Map<ObjectKey, String> committing = new java.util.concurrent.ConcurrentHashMap<>();

    ObjectCache(Etcd etcd) {
        this.etcd = etcd;
    }

    Store.Snapshot snapshot() {
        return snapshot;
    }

    /** The documents of a commit about to be sent. */
    void committing(List<Change> writes) {
        for (Change c : writes) {
            if (c instanceof Change.Put p) {
                committing.put(p.key(), p.document());
            }
        }
    }

    /** A commit that etcd refused: its documents are not coming. */
    void notCommitted(List<Change> writes) {
        for (Change c : writes) {
            if (c instanceof Change.Put p) {
                committing.remove(p.key(), p.document());
            }
        }
    }

    @Override
    public void reset(List<KeyValue> kvs, long listedAt) {
        // a relist (broken watch, compaction) keeps the instances of objects that did not change: whoever kept
        // the previous snapshot (the agent's computation) then shares them instead of holding a second copy
        Map<ObjectKey, StoredObject> before = new HashMap<>(objects);
        objects.clear();
        revision = 0;
        committedAt = 0;
        kvs.forEach(kv -> put(kv, before));
        publish();
    }

    @Override
    public void apply(List<WatchEvent> events) {
        for (WatchEvent e : events) {
            if (e.getEventType() == WatchEvent.EventType.DELETE) {
                delete(etcd.relative(e.getKeyValue().getKey()));
            } else {
                put(e.getKeyValue(), Map.of());
            }
        }
        publish();
    }

    private void put(KeyValue kv, Map<ObjectKey, StoredObject> held) {
        String relative = etcd.relative(kv.getKey());
        if (relative.equals(EtcdKeys.REVISION)) {
            revision = kv.getModRevision();
            committedAt = EtcdKeys.revisionValue(kv.getValue().getBytes()).atMillis();
            return;
        }
        ObjectKey key = EtcdKeys.objectKey(relative);
        if (key == null) {
            return;
        }
        StoredObject was = held.get(key);
        StoredObject o = was != null && was.revision() == kv.getModRevision() ? was : decode(key, kv);
        String mine = committing.isEmpty() ? null : committing.remove(key);
        if (o != null && mine != null && mine != o.document() && mine.equals(o.document())) {
            o = new StoredObject(key, mine, o.source(), o.revision());
        }
        if (o == null) {
            objects.remove(key);
        } else {
            objects.put(key, o);
        }
    }

    private void delete(String relative) {
        if (relative.equals(EtcdKeys.REVISION)) {
            revision = 0;
            committedAt = 0;
            return;
        }
        ObjectKey key = EtcdKeys.objectKey(relative);
        if (key != null) {
            objects.remove(key);
            committing.remove(key);
        }
    }

    private void publish() {
        Store.Snapshot before = snapshot;
        snapshot = new Store.Snapshot(revision, new ArrayList<>(objects.values()),
                committedAt == 0 ? null : java.time.Instant.ofEpochMilli(committedAt));
        if (before.revision() != revision) {
            listeners.forEach(Runnable::run);
        }
    }

    /** Runs {@code r} (quickly: under the mirror's lock) whenever a new revision is published. */
    void onChange(Runnable r) {
        listeners.add(r);
    }

    /** The stored object of a key under {@code objects/}; null when the value is not weir's. */
    static StoredObject decode(ObjectKey key, KeyValue kv) {
        try {
            EtcdKeys.ObjectValue v = EtcdKeys.objectValue(kv.getValue().getBytes());
            return v.document() == null ? null : new StoredObject(key, v.document(), v.source(), kv.getModRevision());
        } catch (StoreException e) {
            return null;
        }
    }

    /** Every object among {@code kvs} (a listing of {@code objects/}), sorted by key. */
    static List<StoredObject> decodeAll(Etcd etcd, List<KeyValue> kvs) {
        TreeMap<ObjectKey, StoredObject> out = new TreeMap<>();
        for (KeyValue kv : kvs) {
            ObjectKey key = EtcdKeys.objectKey(etcd.relative(kv.getKey()));
            StoredObject o = key == null ? null : decode(key, kv);
            if (o != null) {
                out.put(key, o);
            }
        }
        return new ArrayList<>(out.values());
    }
}
