package dev.weir.bench.kvstore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One scrape of a Prometheus text endpoint (etcd's {@code /metrics}): every sample as its metric name, labels
 * and value. Comments and blank lines are skipped; a line that is not a sample is ignored rather than failing a
 * benchmark. Immutable.
 */
public record PromText(List<Sample> samples) {

    /** One line: {@code name{label="value",...} 12.5}. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    public PromText {
        samples = List.copyOf(samples);
    }

    public static PromText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (!l.isEmpty() && !l.startsWith("#")) {
                Sample s = sample(l);
                if (s != null) {
                    out.add(s);
                }
            }
        }
        return new PromText(out);
    }

    /** The sum of every sample of {@code name}. */
    public double sum(String name) {
        return sum(name, labels -> true);
    }

    /** The sum of the samples of {@code name} whose labels match. */
    public double sum(String name, Predicate<Map<String, String>> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && labels.test(s.labels())).mapToDouble(Sample::value).sum();
    }

    /** The sum of the samples of {@code name} with {@code label} equal to {@code value}. */
    public double sum(String name, String label, String value) {
        return sum(name, labels -> value.equals(labels.get(label)));
    }

    private static Sample sample(String l) {
        int brace = l.indexOf('{');
        int space = l.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        String rest;
        if (brace >= 0 && (space < 0 || brace < space)) {
            name = l.substring(0, brace);
            int end = labels(l, brace + 1, labels);
            if (end < 0) {
                return null;
            }
            rest = l.substring(end + 1).strip();
        } else if (space > 0) {
            name = l.substring(0, space);
            rest = l.substring(space + 1).strip();
        } else {
            return null;
        }
        String value = rest.split("\\s+")[0];
        try {
            return new Sample(name, Map.copyOf(labels), Double.parseDouble(value.replace("Inf", "Infinity")));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Reads {@code a="x",b="y"} from {@code from} into {@code into}; the index of the closing brace, or -1. */
    private static int labels(String l, int from, Map<String, String> into) {
        int i = from;
        while (i < l.length()) {
            char c = l.charAt(i);
            if (c == '}') {
                return i;
            }
            if (c == ',' || c == ' ') {
                i++;
                continue;
            }
            int eq = l.indexOf('=', i);
            if (eq < 0 || eq + 1 >= l.length() || l.charAt(eq + 1) != '"') {
                return -1;
            }
            StringBuilder v = new StringBuilder();
            int j = eq + 2;
            for (; j < l.length() && l.charAt(j) != '"'; j++) {
                char d = l.charAt(j);
                if (d == '\\' && j + 1 < l.length()) {
                    char e = l.charAt(++j);
                    v.append(e == 'n' ? '\n' : e);
                } else {
                    v.append(d);
                }
            }
            if (j >= l.length()) {
                return -1;
            }
            into.put(l.substring(i, eq).strip(), v.toString());
            i = j + 1;
        }
        return -1;
    }
}
