package dev.weir.cli.diagnose;

import java.util.List;

/**
 * The outcome of one diagnose check: what it is about (an id and the symptom it answers), the verdict, one
 * line saying why, and the evidence it looked at (short lines: the values read, with where they came from).
 * Immutable.
 *
 * @param id       stable name ({@code foreign-programs}); {@code -o json} keys on it
 * @param symptom  the troubleshooting question it answers ("tcpdump sees nothing")
 * @param summary  why this verdict, or for {@link Verdict#skipped} why it did not run
 */
public record Check(String id, String symptom, Verdict verdict, String summary, List<String> evidence) {

    /** ok: nothing found; warn: worth a look; fail: broken; skipped: could not run here (the summary says why). */
    public enum Verdict { ok, warn, fail, skipped }

    public Check {
        evidence = List.copyOf(evidence);
    }

    /** The worse of two verdicts (skipped counts as ok). */
    static Verdict worst(Verdict a, Verdict b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(Verdict v) {
        return switch (v) {
            case ok, skipped -> 0;
            case warn -> 1;
            case fail -> 2;
        };
    }
}
