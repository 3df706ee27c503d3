package dev.weir.agent.store;

import java.util.Comparator;
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

    private static final Comparator<ObjectKey> ORDER = Comparator.comparing(ObjectKey::kind)
            .thenComparing(ObjectKey::namespace).thenComparing(ObjectKey::name);

    public ObjectKey {
        Objects.requireNonNull(kind, "kind");
        namespace = namespace == null ? "" : namespace;
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

    @Override
    public int compareTo(ObjectKey o) {
        return ORDER.compare(this, o);
    }
}
