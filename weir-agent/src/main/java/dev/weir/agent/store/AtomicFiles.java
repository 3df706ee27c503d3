package dev.weir.agent.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Crash-safe file replacement: the new content is written to a temporary file in the same directory,
 * forced to disk, renamed over the target, and the directory is forced, so that after a crash the target
 * holds the old content or the new one, never a mix. Leftover temporary files (a crash between write and
 * rename) are recognised by their name and removed by {@link #removeLeftovers}. Stateless.
 */
public final class AtomicFiles {

    /** Temporary files are {@code .<target>.<random>.tmp}. */
    static final String TMP_SUFFIX = ".tmp";

    private AtomicFiles() {
    }

    /** Replaces {@code target} with {@code content} (durably); concurrent writers of one target need a lock of their own. */
    public static void write(Path target, byte[] content) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + TMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(dir);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the leftover is removed by the next writer
            }
            throw new StoreException("cannot write " + target + ": " + e, e);
        }
    }

    /** Removes temporary files a crashed writer left in {@code dir}; the caller holds the writer lock. */
    static List<Path> removeLeftovers(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> leftovers = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".") && n.endsWith(TMP_SUFFIX);
            }).toList();
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
            }
            return leftovers;
        } catch (IOException e) {
            throw new StoreException("cannot clean temporary files in " + dir + ": " + e, e);
        }
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
