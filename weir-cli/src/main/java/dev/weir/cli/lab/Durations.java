package dev.weir.cli.lab;

import java.time.Duration;

import dev.weir.cli.UserError;

/** Parses durations written {@code 500ms}, {@code 2s} or a plain number of seconds ({@code 1.5}). */
final class Durations {

    private Durations() {
    }

    static Duration parse(String text, String option) {
        try {
            String t = text.strip();
            if (t.endsWith("ms")) {
                return positive(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))), text, option);
            }
            String seconds = t.endsWith("s") ? t.substring(0, t.length() - 1) : t;
            return positive(Duration.ofMillis(Math.round(Double.parseDouble(seconds) * 1000)), text, option);
        } catch (NumberFormatException e) {
            throw new UserError(option + ": '" + text + "' is not a duration (e.g. 500ms, 2s, 1.5)");
        }
    }

    private static Duration positive(Duration d, String text, String option) {
        if (d.isNegative() || d.isZero()) {
            throw new UserError(option + ": '" + text + "' must be longer than zero");
        }
        return d;
    }
}
