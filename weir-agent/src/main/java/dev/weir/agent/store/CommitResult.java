package dev.weir.agent.store;

import java.util.Map;

/**
 * The outcome of a {@link Store#commit}: the revision the store is at afterwards and what happened to each
 * object. When nothing changed the revision is the previous one. Immutable.
 *
 * @param revision the store's revision after the commit
 * @param outcomes per object: {@code created}, {@code configured}, {@code unchanged} or {@code deleted}
 */
public record CommitResult(long revision, Map<ObjectKey, String> outcomes) {
    public CommitResult {
        outcomes = Map.copyOf(outcomes);
    }

    /** True when the commit changed something (and so made a new revision). */
    public boolean changed() {
        return outcomes.values().stream().anyMatch(o -> !o.equals("unchanged"));
    }
}
