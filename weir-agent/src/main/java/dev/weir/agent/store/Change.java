package dev.weir.agent.store;

import java.util.Objects;

/** One change in a {@link Store#commit} call: put (create or replace) or delete an object. Immutable. */
public sealed interface Change {

    ObjectKey key();

    /** Creates or replaces the object; {@code source} names the file it came from (for messages). */
    record Put(ObjectKey key, String document, String source) implements Change {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(document, "document");
        }
    }

    /** Deletes the object, which must exist. */
    record Delete(ObjectKey key) implements Change {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }
}
