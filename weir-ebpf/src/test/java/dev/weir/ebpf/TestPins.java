package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.testkit.Requirements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/** A unique directory on the bpffs for one test's pins; {@link #close()} removes it and checks it is gone. */
final class TestPins implements AutoCloseable {

    private static final Path BPFFS = Path.of("/sys/fs/bpf");

    final Path dir = BPFFS.resolve("weir-test-" + UUID.randomUUID().toString().substring(0, 8));

    TestPins() {
        Requirements.root();
        Requirements.require(bpffsMounted(), "needs bpffs mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)");
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean bpffsMounted() {
        try {
            return Files.readAllLines(Path.of("/proc/mounts")).stream().anyMatch(l -> l.contains(" /sys/fs/bpf bpf "));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(dir).doesNotExist();
    }
}
