package dev.weir.lab.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import dev.weir.lab.model.Family;

class MatrixResultTest {

    private final List<String> pods = List.of("x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c");

    @Test
    void truthHasEveryOrderedPairButSelf() throws Exception {
        var truth = MatrixResult.emptyTruth(List.of("TCP/80", "TCP/81", "UDP/80", "UDP/81"), pods);
        assertThat(truth.keySet()).containsExactly("TCP/80", "TCP/81", "UDP/80", "UDP/81");
        assertThat(truth.get("UDP/81")).hasSize(9);
        assertThat(truth.get("UDP/81").get("y/b")).hasSize(8).doesNotContainKey("y/b");
        String json = JsonMapper.builder().build().writeValueAsString(truth);
        assertThat(json).startsWith("{\"TCP/80\":{\"x/a\":{\"x/b\":false,\"x/c\":false");
        MatrixResult m = new MatrixResult(Family.IPV4, pods, truth, 1);
        assertThat(m.blockedCount()).isEqualTo(4 * 72);
        assertThat(m.allAllowed()).isFalse();
    }
}
