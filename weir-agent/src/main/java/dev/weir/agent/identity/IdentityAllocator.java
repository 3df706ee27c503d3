package dev.weir.agent.identity;

import java.util.Map;
import java.util.Optional;

/**
 * Hands out cluster-wide numeric identities for label sets. The same label set gets the same number for
 * as long as it is referenced (and, in the in-memory implementation, until it is garbage collected), so
 * recomputing policy does not renumber anything. Every {@link #allocate} takes a reference that a later
 * {@link #release} gives back.
 *
 * <p>Reserved label sets ({@link Identities#HOST_LABELS}, …) map to their fixed numbers and are never
 * counted. Label sets with a {@code cidr:} label are numbered from {@link Identities#FIRST_CIDR}, all
 * others from {@link Identities#FIRST_ENDPOINT}. Implementations are thread-safe.
 */
public interface IdentityAllocator {

    /**
     * The identity of the label set, allocating a number when it has none; takes one reference.
     *
     * @throws IllegalStateException when the identity range is exhausted
     */
    int allocate(Map<String, String> labels);

    /**
     * Gives back one reference taken by {@link #allocate}. Releasing a reserved identity does nothing.
     *
     * @throws IllegalArgumentException when the identity is unknown or has no reference left
     */
    void release(int id);

    /** The labels of an identity known to this allocator (reserved ones included). */
    Optional<IdentityInfo> lookup(int id);
}
