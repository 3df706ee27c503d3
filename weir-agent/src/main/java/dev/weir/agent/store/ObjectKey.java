package dev.weir.agent.store;

import java.util.Objects;

/**
 * Names one object of desired state, as Kubernetes does: kind, namespace (empty for cluster-scoped
 * kinds) and name. Immutable; ordered by kind, namespace, name.
 *
 * @param kind      e.g. {@code NetworkPolicy}
 * @param namespace e.g. {@code x}, or {@code ""} for a cluster-scoped object
 * @param name      the object's {@code metadata.name}, never empty
 */
public record ObjectKey(String kind, String namespace, String name) implements Comparable<ObjectKey> {

    public ObjectKey {
        // kinds and namespaces are few and repeat in every key: one string each (a store holds 20,000+ keys)
        kind = Objects.requireNonNull(kind, "kind").intern();
        namespace = namespace == null ? "" : namespace.intern();
        Objects.requireNonNull(name, "name");
        if (kind.isBlank() || name.isBlank()) {
            throw new IllegalArgumentException("an object needs a kind and a name: " + kind + " " + namespace + "/" + name);
        }
    }

    /** {@code NetworkPolicy x/deny-all}, or {@code PolicyMode default} when cluster-scoped. */
    @Override
    public String toString() {
        return kind + " " + (namespace.isEmpty() ? name : namespace + "/" + name);
    }

    /** By kind, namespace, name (written out: stores and the sync loop compare every key of a snapshot per change). */
    @Override
    public int compareTo(ObjectKey o) {
        int c = kind.compareTo(o.kind);
        if (c != 0) {
            return c;
        }
        c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }
}
