package dev.weir.agent.store;

import java.util.Objects;

/**
 * One object that differs between two snapshots of a store ({@link Store.Snapshot#changesSince}). Immutable.
 *
 * @param key    the object's key
 * @param kind   created, changed (a new document) or deleted
 * @param object the object as it is now; for {@link Kind#DELETED}, as it was
 */
public record ObjectChange(ObjectKey key, Kind kind, StoredObject object) {

    public enum Kind { CREATED, CHANGED, DELETED }

    public ObjectChange {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(object, "object");
    }
}
