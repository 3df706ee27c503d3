package dev.weir.agent.prefilter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;

import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * The prefilter scopes on this machine: every scope with saved state or pins. A scope is named after its
 * network namespace ({@code host} for the current one), so a scope whose namespace was deleted (a lab
 * brought down) is an orphan: its links are defunct and its pins and state only take space.
 */
public final class PrefilterScopes {

    private final PrefilterStore store;
    private final Path pinRoot;

    public PrefilterScopes(PrefilterStore store, Path pinRoot) {
        this.store = store;
        this.pinRoot = pinRoot;
    }

    public static PrefilterScopes system() {
        return new PrefilterScopes(new PrefilterStore(PrefilterStore.DEFAULT_ROOT),
                KernelPrefilterDataplane.BPFFS_ROOT.resolve("prefilter"));
    }

    /** Scope names with state or pins, sorted. */
    public List<String> all() {
        TreeSet<String> out = new TreeSet<>(store.scopes());
        if (Files.isDirectory(pinRoot)) {
            try (Stream<Path> s = Files.list(pinRoot)) {
                s.map(p -> p.getFileName().toString()).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + pinRoot, e);
            }
        }
        return new ArrayList<>(out);
    }

    /** Removes pins and state of scopes whose network namespace no longer exists; returns their names. */
    public List<String> pruneMissingNamespaces() {
        return purge(scope -> !scope.equals("host") && !NetworkNamespace.exists(scope));
    }

    /** Detaches, unpins and forgets every scope the predicate selects; returns their names. */
    public List<String> purge(Predicate<String> which) {
        List<String> purged = new ArrayList<>();
        for (String scope : all()) {
            if (which.test(scope)) {
                new KernelPrefilterDataplane(scope, NetworkNamespace.current(), pinRoot.resolve(scope)).destroy();
                store.delete(scope);
                purged.add(scope);
            }
        }
        return purged;
    }
}
