package dev.weir.bench.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.bench.prefilter.Runner;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.TestRun;

/**
 * Runs TC cases through {@code BPF_PROG_TEST_RUN}, interleaved like the prefilter benchmark's runner
 * (every case once per round, order alternating). Every run is checked twice: the TC action, and the
 * endpoint program's {@code ep_stats} counter of the expected reason, which must grow by exactly the
 * number of packets run — so a case cannot silently take another path (a conntrack hit instead of a
 * policy decision, say). Stateless apart from its settings.
 */
final class TcRunner {

    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;

    /**
     * One measured case.
     *
     * @param stats  the program's {@code ep_stats}, or null for the floor (nothing to count)
     * @param reason the reason every run must be counted under
     */
    record TcCase(String key, String label, BpfProgram program, byte[] frame, int action,
                  BpfPerCpuMap<Integer, Counter> stats, DropReason reason) {
    }

    private final int repeat;
    private final int rounds;

    TcRunner(int repeat, int rounds) {
        this.repeat = repeat;
        this.rounds = rounds;
    }

    int rounds() {
        return rounds;
    }

    Map<String, List<Runner.Sample>> measure(List<TcCase> cases) {
        for (TcCase c : cases) {
            c.program().testRun(TestRun.of(c.frame())); // primes conntrack: an established case's first packet opens it
        }
        for (TcCase c : cases) {
            run(c, 1);
        }
        for (TcCase c : cases) {
            run(c, Math.max(1, repeat / 10));
        }
        Map<String, List<Runner.Sample>> out = new LinkedHashMap<>();
        cases.forEach(c -> out.put(c.key(), new ArrayList<>()));
        for (int r = 0; r < rounds; r++) {
            for (TcCase c : r % 2 == 0 ? cases : cases.reversed()) {
                out.get(c.key()).add(run(c, repeat));
            }
        }
        return out;
    }

    private static Runner.Sample run(TcCase c, int n) {
        long before = count(c);
        long t0 = System.nanoTime();
        TestRun.Result r = c.program().testRun(TestRun.of(c.frame()).repeat(n));
        long wall = System.nanoTime() - t0;
        long grew = count(c) - before;
        if (r.retval() != c.action()) {
            throw new IllegalStateException(c.key() + ": TC action " + r.retval() + ", expected " + c.action());
        }
        if (c.stats() != null && grew != n) {
            throw new IllegalStateException(c.key() + ": " + c.reason() + " grew by " + grew + " in " + n
                    + " runs: the case does not take the path it names");
        }
        return new Runner.Sample(r.durationNs(), (double) wall / n);
    }

    private static long count(TcCase c) {
        if (c.stats() == null) {
            return 0;
        }
        Counter v = c.stats().lookupSum(c.reason().code(), Counter::plus);
        return v == null ? 0 : v.packets();
    }
}
