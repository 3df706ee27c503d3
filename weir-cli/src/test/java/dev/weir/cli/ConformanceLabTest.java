package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.agent.conformance.ConformanceCase;
import dev.weir.agent.conformance.ConformanceCases;
import dev.weir.agent.conformance.Reachability;
import dev.weir.agent.policy.Decision.Verdict;
import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.MatrixResult;
import dev.weir.testkit.Requirements;

/**
 * The NetworkPolicy conformance suite end to end: for every case of {@code conformance/}, apply its
 * policies with {@code weir apply}, measure the full matrix over TCP/80, TCP/81, UDP/80 and UDP/81 with real
 * probes between the lab's pods, compare every cell with the hand-written expectation (AUDIT counts as
 * reachable), and delete the policies again. IPv6 runs for the cases marked for it.
 */
class ConformanceLabTest {

    private static Lab lab;

    @BeforeAll
    static void up() {
        upWith();
    }

    /** {@code weir lab up} with these options (a subclass runs the suite on another lab). */
    static void upWith(String... options) {
        Requirements.rootWithBpffs();
        InProcess.Result r = Cli.run(LabOptions.up(options));
        assertThat(r.exit()).as(r.toString()).isZero();
        lab = Lab.current().orElseThrow();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void everyCaseMatchesItsExpectedMatrix() {
        List<String> failures = new ArrayList<>();
        int cells = 0;
        for (ConformanceCase c : ConformanceCases.load()) {
            // connections of the previous case (UDP source ports get reused) must not carry over
            Cli.run("bpf", "ct", "flush");
            boolean hasPolicies = hasObjects(c);
            InProcess.Result applied = hasPolicies ? Cli.run("apply", "-f", c.policies().toString()) : null;
            if (applied != null && applied.exit() != 0) {
                failures.add(c.name() + ": apply failed: " + applied.err().strip());
                continue;
            }
            for (int family : c.families()) {
                MatrixResult m = lab.matrix(Family.of(family), PortSpec.SERVED, Lab.PROBE_TIMEOUT);
                cells += compare(c, family, m, failures);
            }
            InProcess.Result deleted = hasPolicies ? Cli.run("delete", "-f", c.policies().toString()) : null;
            if (deleted != null && deleted.exit() != 0) {
                failures.add(c.name() + ": delete failed: " + deleted.err().strip());
            }
        }
        System.out.println("conformance: " + cells + " cells compared, " + failures.size() + " mismatches");
        assertThat(failures).as(String.join("\n", failures)).isEmpty();
    }

    private static boolean hasObjects(ConformanceCase c) {
        try {
            return java.nio.file.Files.readAllLines(c.policies()).stream().anyMatch(l -> l.startsWith("kind:"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static int compare(ConformanceCase c, int family, MatrixResult m, List<String> failures) {
        int n = 0;
        for (String port : Reachability.PORTS) {
            Map<String, Map<String, Boolean>> grid = m.truth().get(port);
            for (String from : Reachability.PODS) {
                for (String to : Reachability.PODS) {
                    if (from.equals(to)) {
                        continue;
                    }
                    Verdict want = c.expected().get(family, from, to, port);
                    boolean expected = want != Verdict.DENIED;
                    boolean actual = grid.get(from).get(to);
                    n++;
                    if (expected != actual) {
                        failures.add(c.name() + " IPv" + family + " " + port + " " + from + " -> " + to + ": expected "
                                + want + ", measured " + (actual ? "reachable" : "blocked"));
                    }
                }
            }
        }
        return n;
    }
}
