package dev.weir.agent.store;

import java.util.Objects;

/**
 * One object as the store keeps it: its key, its document text (the YAML or JSON the user applied, one
 * document) and the revision that last changed it. Immutable.
 *
 * @param key      kind, namespace, name
 * @param document the object's text, as applied
 * @param source   where it came from (a file name, for messages), or {@code ""}
 * @param revision the store revision that created or last changed it
 */
public record StoredObject(ObjectKey key, String document, String source, long revision) {
    public StoredObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(document, "document");
        source = source == null ? "" : source.intern(); // a file name, shared by every object it held
    }
}
