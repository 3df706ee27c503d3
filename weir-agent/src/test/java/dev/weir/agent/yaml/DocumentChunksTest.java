package dev.weir.agent.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** Pieces of a stream hold exactly its documents, in order; streams that must not be split stay whole. */
class DocumentChunksTest {

    private static List<JsonNode> read(String text) {
        return YamlDocuments.read(text, "t.yaml", (node, source, index) -> node);
    }

    @Test
    void piecesHoldTheStreamsDocuments() {
        StringBuilder y = new StringBuilder("a: 0\n");
        for (int i = 1; i < 500; i++) {
            y.append(i % 7 == 0 ? "--- {a: " + i + "}\n" : "---\na: " + i + "\nb: |\n  text ---\n  more\n");
        }
        String text = y.toString();
        List<String> parts = DocumentChunks.split(text, 4, 1000);
        assertThat(parts).hasSizeBetween(2, 5);
        assertThat(String.join("", parts)).isEqualTo(text);
        List<JsonNode> pieces = new ArrayList<>();
        parts.forEach(p -> pieces.addAll(read(p)));
        assertThat(pieces).isEqualTo(read(text));
    }

    @Test
    void smallStreamsAndDirectivesStayWhole() {
        assertThat(DocumentChunks.split("a: 1\n---\nb: 2\n", 4, 1000)).hasSize(1);
        String directives = "%YAML 1.2\n---\na: 1\n" + "---\nb: 2\n".repeat(200);
        assertThat(DocumentChunks.split(directives, 4, 100)).hasSize(1);
    }
}
