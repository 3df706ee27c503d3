package dev.weir.bench.services;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.bench.prefilter.PrefilterBenchCommand;

/**
 * The measured part: in every round, the client's rate to a plain pod IP with nothing installed, and
 * for each service count (order reversed every other round) and each available mode: install, check
 * that the last service's ClusterIP answers from its endpoints only (and from all of them), measure it,
 * measure the plain pod IP with the mode's state still in place, remove. Conntrack is flushed in every
 * node before each measurement, so each starts from the same empty table. Not thread-safe.
 */
final class Sweep {

    /** A measured cell: mode, service count, and whether the target was the ClusterIP or the pod IP. */
    record Key(String mode, int services, boolean clusterIp) {
    }

    /** Per cell, the rate (connections/s) of every round; per mode and count, the install seconds. */
    record Result(Map<Key, List<Double>> rates, Map<Key, List<Double>> installs, List<Double> noRules,
                  long errors, long connections) {
    }

    /** A target answered wrongly (a wrong backend, no answer, errors): the figures would be of the wrong path. */
    static final class CheckFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CheckFailed(String message) {
            super(message);
        }
    }

    private final CrrRun crr;
    private final List<NodeShell> nodes;
    private final List<Mode> modes;
    private final List<Integer> counts;
    private final double seconds;
    private final int rounds;
    private final Mode.Target pod;
    private final Map<Key, List<Double>> rates = new LinkedHashMap<>();
    private final Map<Key, List<Double>> installs = new LinkedHashMap<>();
    private final List<Double> noRules = new ArrayList<>();
    private long errors;
    private long connections;

    Sweep(CrrRun crr, List<NodeShell> nodes, List<Mode> modes, List<Integer> counts, double seconds, int rounds,
          Mode.Target pod) {
        this.crr = crr;
        this.nodes = nodes;
        this.modes = modes;
        this.counts = counts;
        this.seconds = seconds;
        this.rounds = rounds;
        this.pod = pod;
    }

    Result run() throws Exception {
        PrefilterBenchCommand.progress("warming up the client and the servers (2 s to " + pod.address() + ")");
        check("no rules", pod);
        measure(pod, 2);
        for (int r = 0; r < rounds; r++) {
            List<Integer> order = r % 2 == 0 ? counts : counts.reversed();
            if (r % 2 == 0) {
                noRules.add(measure(pod, seconds));
            }
            for (int n : order) {
                for (Mode m : modes) {
                    if (m.unavailable().isEmpty()) {
                        PrefilterBenchCommand.progress(String.format("round %d/%d: %s, %,d services", r + 1, rounds, m.name(), n));
                        cell(m, n);
                    }
                }
            }
            if (r % 2 == 1) {
                noRules.add(measure(pod, seconds));
            }
        }
        return new Result(rates, installs, noRules, errors, connections);
    }

    private void cell(Mode m, int n) throws Exception {
        try {
            installs.computeIfAbsent(new Key(m.name(), n, true), k -> new ArrayList<>()).add(m.install(n));
            Mode.Target t = m.target();
            check(m.name() + " with " + n + " services", t);
            check(m.name() + " with " + n + " services, pod IP", pod);
            rates.computeIfAbsent(new Key(m.name(), n, true), k -> new ArrayList<>()).add(measure(t, seconds));
            rates.computeIfAbsent(new Key(m.name(), n, false), k -> new ArrayList<>()).add(measure(pod, seconds));
        } finally {
            m.remove();
        }
    }

    /** Half a second of connections: no errors, replies from the target's backends only, from each of them. */
    private void check(String what, Mode.Target t) throws Exception {
        flush();
        CrrRun.Result r = crr.run(t.address(), t.port(), 0.5);
        boolean wrong = r.replies().keySet().stream().anyMatch(k -> !t.backends().contains(k));
        boolean missing = r.ok() >= 100 && !r.replies().keySet().containsAll(t.backends());
        if (r.ok() < 10 || r.errors() > 0 || wrong || missing) {
            throw new CheckFailed(String.format("%s: %s:%d answered %s, %d errors (first: %s); expected replies from %s",
                    what, t.address(), t.port(), r.replies(), r.errors(), r.firstError(), t.backends()));
        }
    }

    private double measure(Mode.Target t, double secs) throws Exception {
        flush();
        CrrRun.Result r = crr.run(t.address(), t.port(), secs);
        if (!t.backends().containsAll(r.replies().keySet()) || r.errors() > Math.max(10, r.ok() / 100)) {
            throw new CheckFailed(String.format("%s:%d: replies %s, %d errors (first: %s) in %.1f s",
                    t.address(), t.port(), r.replies(), r.errors(), r.firstError(), r.seconds()));
        }
        errors += r.errors();
        connections += r.ok();
        return r.rate();
    }

    private void flush() throws Exception {
        for (NodeShell n : nodes) {
            n.flushConntrack();
        }
    }
}
