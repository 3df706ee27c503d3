package dev.weir.lab.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.weir.lab.LabException;

/** Removing a directory tree the lab made (data directories, run directories). Stateless. */
public final class Trees {

    private Trees() {
    }

    /**
     * Deletes {@code root} and everything under it; nothing when it does not exist.
     *
     * @throws LabException naming the tree when something cannot be removed
     */
    public static void delete(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new LabException("cannot remove " + root + ": " + e.getMessage(), e);
        }
    }
}
