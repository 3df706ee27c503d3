package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataplane that only remembers what it was given: the tests' probe in place of the kernel adapter.
 * Thread-safe.
 */
public final class RecordingDataplane<R> implements Dataplane<R> {

    private final List<Update<R>> updates = new ArrayList<>();

    @Override
    public String name() {
        return "dataplane(recording)";
    }

    @Override
    public void start() {
    }

    @Override
    public void stop() {
    }

    @Override
    public synchronized void apply(Update<R> update) {
        updates.add(update);
        if (updates.size() > 16) {
            updates.removeFirst();
        }
    }

    /** The most recent updates, oldest first (at most 16). */
    public synchronized List<Update<R>> updates() {
        return List.copyOf(updates);
    }
}
