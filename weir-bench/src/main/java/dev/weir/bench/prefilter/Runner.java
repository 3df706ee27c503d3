package dev.weir.bench.prefilter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.ebpf.TestRun;

/**
 * Runs cases through {@code BPF_PROG_TEST_RUN}, interleaved: in every round each case runs once for
 * {@code repeat} packets, the order alternating between rounds so that no case always runs first or
 * right after a particular other. Every run's XDP action is checked. Stateless apart from its settings.
 */
public final class Runner {

    /** One run: the kernel's average ns per packet (whole ns) and ns per packet by the wall clock. */
    public record Sample(long kernelNs, double wallNs) {
    }

    private final int repeat;
    private final int rounds;

    Runner(int repeat, int rounds) {
        this.repeat = repeat;
        this.rounds = rounds;
    }

    int repeat() {
        return repeat;
    }

    int rounds() {
        return rounds;
    }

    /**
     * Checks every case's verdict once, warms them up, then measures {@code rounds} rounds.
     *
     * @return per case key, one sample per round, in round order
     * @throws VerdictException when a run returns another action than its case expects
     */
    Map<String, List<Sample>> measure(List<Case> cases) {
        for (Case c : cases) {
            run(c, 1);
        }
        for (Case c : cases) {
            run(c, Math.max(1, repeat / 10));
        }
        Map<String, List<Sample>> out = new LinkedHashMap<>();
        cases.forEach(c -> out.put(c.key(), new ArrayList<>()));
        for (int r = 0; r < rounds; r++) {
            List<Case> order = r % 2 == 0 ? cases : cases.reversed();
            for (Case c : order) {
                out.get(c.key()).add(run(c, repeat));
            }
        }
        return out;
    }

    private static Sample run(Case c, int n) {
        TestRun run = TestRun.of(c.packet()).repeat(n);
        long t0 = System.nanoTime();
        TestRun.Result r = c.program().testRun(run);
        long wall = System.nanoTime() - t0;
        if (r.retval() != c.expected()) {
            throw new VerdictException(c, r.retval());
        }
        return new Sample(r.durationNs(), (double) wall / n);
    }

    /** A case returned the wrong XDP action: the benchmark would have timed the wrong path. */
    static final class VerdictException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        VerdictException(Case c, int got) {
            super(c.key() + ": " + c.program().name() + " returned " + Case.action(got) + ", expected "
                    + Case.action(c.expected()));
        }
    }
}
