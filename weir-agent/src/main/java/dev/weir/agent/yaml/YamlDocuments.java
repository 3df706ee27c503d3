package dev.weir.agent.yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The document loop the policy and service parsers share: the YAML files of a path, and the documents of
 * a text (several separated by {@code ---}, duplicate keys refused), each handed to a reader with its
 * source and 1-based index; empty documents are skipped. Stateless and thread-safe.
 */
public final class YamlDocuments {

    /** Reads one document into an object. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(JsonNode node, String source, int index);
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** JSON is YAML; the JSON parser reads it some ten times faster (the store keeps documents as JSON). */
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private YamlDocuments() {
    }

    /**
     * Every document of {@code yaml}, read in order.
     *
     * @throws ValidationException the reader's, or {@code invalid YAML} naming the document
     */
    public static <T> List<T> read(String yaml, String source, Reader<T> reader) {
        if (yaml.stripLeading().startsWith("{")) {
            try {
                return read(JSON, yaml, source, reader);
            } catch (ValidationException e) {
                if (!e.problem().startsWith("invalid YAML")) {
                    throw e;
                }
                // YAML that merely starts like JSON (a flow mapping, several documents): YAML decides
            }
        }
        return read(YAML, yaml, source, reader);
    }

    private static <T> List<T> read(ObjectMapper mapper, String yaml, String source, Reader<T> reader) {
        List<T> out = new ArrayList<>();
        int index = 0;
        try (MappingIterator<JsonNode> it = mapper.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNextValue()) {
                JsonNode node = it.nextValue();
                index++;
                if (node == null || node.isNull() || node.isMissingNode()) {
                    continue;
                }
                out.add(reader.read(node, source, index));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ValidationException ve) {
                throw ve;
            }
            throw new ValidationException(source, "document " + (index + 1), null, "invalid YAML: " + firstLine(e));
        }
        return out;
    }

    /** The file itself, or every {@code .yaml}/{@code .yml} file below a directory, in path order. */
    public static List<Path> files(Path p) {
        if (!Files.isDirectory(p)) {
            return List.of(p);
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + p, e);
        }
    }

    /** A file's text; a failure names the file. */
    public static String text(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new ValidationException(f.toString(), null, null, "cannot read: " + e.getMessage());
        }
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
