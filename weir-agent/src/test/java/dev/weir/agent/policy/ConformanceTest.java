package dev.weir.agent.policy;

import dev.weir.agent.conformance.ConformanceCase;
import dev.weir.agent.conformance.ConformanceCases;
import dev.weir.agent.conformance.Reachability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.policy.Decision.Verdict;

/**
 * The engine's acceptance test: every conformance case through {@code resolve} + {@code decide} (the
 * datapath's evaluation of the entries), compared with the hand-written expectation; and the naive
 * semantic evaluator against the same expectation.
 */
class ConformanceTest {

    private final PolicyEngine engine = new PolicyEngine();
    private final PolicyParser parser = new PolicyParser();

    @Test
    void theLibraryHasEnoughCases() {
        List<ConformanceCase> cases = ConformanceCases.load();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(40);
        assertThat(cases.stream().filter(c -> c.families().contains(6)).count()).isGreaterThanOrEqualTo(10);
    }

    @TestFactory
    Stream<DynamicTest> engineMatchesEveryCase() {
        return ConformanceCases.load().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            ClusterSnapshot snap = NetpolCluster.snapshot(parser.parse(c.policies()));
            PolicyResult result = engine.resolve(snap, new InMemoryIdentityAllocator());
            check(c, (f, from, to, port) -> engine.decide(result, Party.endpoint(NetpolCluster.id(from)),
                    Party.endpoint(NetpolCluster.id(to)), proto(port), number(port), f).verdict());
        }));
    }

    @TestFactory
    Stream<DynamicTest> semanticEvaluatorMatchesEveryCase() {
        return ConformanceCases.load().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            SemanticEvaluator sem = new SemanticEvaluator(NetpolCluster.snapshot(parser.parse(c.policies())));
            check(c, (f, from, to, port) -> sem.decide(Party.endpoint(NetpolCluster.id(from)),
                    Party.endpoint(NetpolCluster.id(to)), proto(port), number(port), f));
        }));
    }

    interface Probe {
        Verdict probe(int family, String from, String to, String port);
    }

    private static void check(ConformanceCase c, Probe probe) {
        for (int f : c.families()) {
            List<String> wrong = new ArrayList<>();
            for (String from : NetpolCluster.PODS) {
                for (String to : NetpolCluster.PODS) {
                    for (String port : Reachability.PORTS) {
                        Verdict want = c.expected().get(f, from, to, port);
                        Verdict got = from.equals(to) ? Verdict.ALLOWED : probe.probe(f, from, to, port);
                        if (want != got) {
                            wrong.add(from + " -> " + to + " " + port + ": expected " + want + ", got " + got);
                        }
                    }
                }
            }
            assertThat(wrong).as(c.name() + " IPv" + f + " (" + c.description() + ")\nexpected:\n"
                    + c.expected().table(f, (a, b) -> cell(c.expected(), f, a, b))).isEmpty();
        }
    }

    private static String cell(Reachability r, int f, String a, String b) {
        StringBuilder sb = new StringBuilder();
        Reachability.PORTS.forEach(p -> sb.append(Reachability.letter(r.get(f, a, b, p))));
        return sb.toString();
    }

    static int proto(String port) {
        return port.startsWith("TCP") ? 6 : 17;
    }

    static int number(String port) {
        return Integer.parseInt(port.substring(4));
    }
}
