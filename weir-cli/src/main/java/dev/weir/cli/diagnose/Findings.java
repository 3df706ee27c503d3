package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.List;

/**
 * What one check found, gathered line by line: the evidence it read, and the problems (each raising the verdict
 * to warn or fail, and shown as evidence too). Not thread-safe; one per check.
 */
final class Findings {

    private static final int SUMMARY_PROBLEMS = 3;

    private Check.Verdict verdict = Check.Verdict.ok;
    private final List<String> evidence = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    /** Something looked at. */
    Findings see(String line) {
        evidence.add(line);
        return this;
    }

    Findings warn(String problem) {
        return problem(Check.Verdict.warn, problem);
    }

    Findings fail(String problem) {
        return problem(Check.Verdict.fail, problem);
    }

    private Findings problem(Check.Verdict v, String problem) {
        verdict = Check.worst(verdict, v);
        problems.add(problem);
        evidence.add(v.name().toUpperCase(java.util.Locale.ROOT) + ": " + problem);
        return this;
    }

    /** The check: its summary is the first problems, or {@code fine} when there are none. */
    Check check(String id, String symptom, String fine) {
        String summary = problems.isEmpty() ? fine : String.join("; ", problems.subList(0, Math.min(SUMMARY_PROBLEMS,
                problems.size()))) + (problems.size() > SUMMARY_PROBLEMS ? " (and " + (problems.size() - SUMMARY_PROBLEMS)
                + " more)" : "");
        return new Check(id, symptom, verdict, summary, evidence);
    }

    /** A check that could not run: why, and what it saw before it knew. */
    Check skipped(String id, String symptom, String why) {
        return new Check(id, symptom, Check.Verdict.skipped, why, evidence);
    }
}
