package dev.weir.agent.yaml;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a large YAML stream into pieces of whole documents, at its document markers, so that the pieces can
 * be parsed in parallel: a line that starts with {@code ---} (followed by nothing or white space) begins a
 * document wherever it appears (YAML forbids that line inside a scalar), so the documents of the pieces are
 * the documents of the stream. A stream with directives ({@code %YAML}, {@code %TAG}), or smaller than the
 * threshold, stays whole. Stateless.
 */
public final class DocumentChunks {

    private DocumentChunks() {
    }

    /**
     * @param parts    how many pieces at most
     * @param minChars below this size the stream is not split
     */
    public static List<String> split(String text, int parts, int minChars) {
        if (text.length() < minChars || parts < 2) {
            return List.of(text);
        }
        List<Integer> starts = new ArrayList<>();
        int at = 0;
        while (at < text.length()) {
            if (text.charAt(at) == '%') {
                return List.of(text);
            }
            if (text.startsWith("---", at) && (at + 3 == text.length() || Character.isWhitespace(text.charAt(at + 3)))) {
                starts.add(at);
            }
            int nl = text.indexOf('\n', at);
            at = nl < 0 ? text.length() : nl + 1;
        }
        List<String> out = new ArrayList<>();
        int target = text.length() / parts;
        int from = 0;
        for (int s : starts) {
            if (s - from >= target && s > from) {
                out.add(text.substring(from, s));
                from = s;
            }
        }
        out.add(text.substring(from));
        return out;
    }
}
