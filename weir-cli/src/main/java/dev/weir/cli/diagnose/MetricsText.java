package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of a Prometheus text exposition ({@code name{label="value",...} number}), enough to read an
 * agent's gauges and counters; comments, timestamps and exemplars are skipped. Immutable.
 */
record MetricsText(List<Sample> samples) {

    /** One sample: metric name, labels, value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    static MetricsText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space;
            Map<String, String> labels = new LinkedHashMap<>();
            String name;
            if (brace >= 0 && brace < line.indexOf(' ')) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                labels(line.substring(brace + 1, close), labels);
                space = close + 1;
            } else {
                space = line.indexOf(' ');
                name = line.substring(0, space);
            }
            String[] rest = line.substring(space).strip().split("\\s+");
            try {
                out.add(new Sample(name, labels, Double.parseDouble(rest[0])));
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return new MetricsText(out);
    }

    private static void labels(String s, Map<String, String> out) {
        int i = 0;
        while (i < s.length()) {
            int eq = s.indexOf('=', i);
            if (eq < 0) {
                return;
            }
            String key = s.substring(i, eq).strip().replaceFirst("^,", "").strip();
            StringBuilder v = new StringBuilder();
            int j = eq + 2;
            while (j < s.length() && s.charAt(j) != '"') {
                if (s.charAt(j) == '\\' && j + 1 < s.length()) {
                    j++;
                }
                v.append(s.charAt(j++));
            }
            out.put(key, v.toString());
            i = j + 1;
        }
    }

    /** The values of one metric keyed by one label, summed over the others. */
    Map<String, Double> sumBy(String metric, String label) {
        Map<String, Double> out = new java.util.TreeMap<>();
        samples.stream().filter(s -> s.name().equals(metric))
                .forEach(s -> out.merge(s.labels().getOrDefault(label, ""), s.value(), Double::sum));
        return out;
    }
}
