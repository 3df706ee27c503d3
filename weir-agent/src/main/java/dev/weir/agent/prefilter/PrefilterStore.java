package dev.weir.agent.prefilter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Keeps each scope's {@link PrefilterState} as {@code <root>/<scope>/state.json}, written atomically
 * (temporary file, then rename), so a crash leaves the old state or the new one. The default root is
 * {@code /run/weir/prefilter}: like the pins in bpffs, it lasts until reboot.
 */
public final class PrefilterStore {

    public static final Path DEFAULT_ROOT = Path.of("/run/weir/prefilter");

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final Path root;

    public PrefilterStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Optional<PrefilterState> load(String scope) {
        Path file = file(scope);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), PrefilterState.Json.class).toState());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read prefilter state " + file + ": " + e.getMessage(), e);
        }
    }

    public void save(String scope, PrefilterState state) {
        Path file = file(scope);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("state.json.tmp");
            JSON.writeValue(tmp.toFile(), PrefilterState.Json.of(state));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write prefilter state " + file, e);
        }
    }

    /** Removes the scope's state directory. */
    public void delete(String scope) {
        Path dir = root.resolve(scope);
        try {
            Files.deleteIfExists(dir.resolve("state.json.tmp"));
            Files.deleteIfExists(dir.resolve("state.json"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove prefilter state " + dir, e);
        }
    }

    /** Scopes with saved state. */
    public List<String> scopes() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            List<String> out = new ArrayList<>();
            s.filter(p -> Files.exists(p.resolve("state.json"))).forEach(p -> out.add(p.getFileName().toString()));
            out.sort(null);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    private Path file(String scope) {
        return root.resolve(scope).resolve("state.json");
    }
}
