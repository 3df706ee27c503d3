package dev.weir.lab.probe;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.lab.model.Family;

/**
 * Reachability between every ordered pair of pods for each port: {@code port -> from -> to -> allowed}.
 * {@link #truth} is the JSON contract of {@code weir lab matrix -o json}. Immutable after construction.
 *
 * @param family the family probed
 * @param pods pod ids in order (rows and columns)
 * @param truth {@code "TCP/80" -> "x/a" -> "x/b" -> true}; self pairs are absent
 * @param millis wall time of the whole matrix
 */
public record MatrixResult(Family family, List<String> pods, Map<String, Map<String, Map<String, Boolean>>> truth,
                           long millis) {

    /** True when every probed pair on every port was allowed. */
    public boolean allAllowed() {
        return truth.values().stream().flatMap(m -> m.values().stream()).flatMap(m -> m.values().stream())
                .allMatch(Boolean::booleanValue);
    }

    /** The number of blocked pairs over all ports. */
    public long blockedCount() {
        return truth.values().stream().flatMap(m -> m.values().stream()).flatMap(m -> m.values().stream())
                .filter(b -> !b).count();
    }

    static Map<String, Map<String, Map<String, Boolean>>> emptyTruth(List<String> ports, List<String> pods) {
        Map<String, Map<String, Map<String, Boolean>>> t = new LinkedHashMap<>();
        for (String port : ports) {
            Map<String, Map<String, Boolean>> rows = new LinkedHashMap<>();
            for (String from : pods) {
                Map<String, Boolean> row = new LinkedHashMap<>();
                pods.stream().filter(to -> !to.equals(from)).forEach(to -> row.put(to, false));
                rows.put(from, row);
            }
            t.put(port, rows);
        }
        return t;
    }
}
