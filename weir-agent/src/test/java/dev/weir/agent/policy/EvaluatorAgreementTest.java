package dev.weir.agent.policy;

import dev.weir.agent.conformance.ConformanceCase;
import dev.weir.agent.conformance.ConformanceCases;
import dev.weir.agent.conformance.Reachability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.policy.Decision.Verdict;

/**
 * Property: on random policy sets over the netpol model, the engine's entries evaluated like the datapath
 * agree with the naive semantic evaluator for every pod pair, the external client both ways, four ports
 * and both families.
 */
class EvaluatorAgreementTest {

    private static final int ROUNDS = 400;

    @Test
    void datapathEvaluationAgreesWithTheSemantics() {
        PolicyEngine engine = new PolicyEngine();
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        RandomPolicies gen = new RandomPolicies(20240601L);
        int checked = 0;
        java.util.Map<Verdict, Integer> seen = new java.util.EnumMap<>(Verdict.class);
        PolicyResult previous = null;
        for (int round = 0; round < ROUNDS; round++) {
            List<PolicyObject> policies = gen.next();
            ClusterSnapshot snap = NetpolCluster.snapshot(policies);
            PolicyResult r = engine.resolve(snap, alloc);
            if (previous != null) {
                engine.release(previous, alloc);
            }
            previous = r;
            SemanticEvaluator sem = new SemanticEvaluator(snap);
            List<String> wrong = new ArrayList<>();
            for (int f : new int[] {4, 6}) {
                List<Party> parties = new ArrayList<>();
                NetpolCluster.PODS.forEach(p -> parties.add(Party.endpoint(NetpolCluster.id(p))));
                parties.add(Party.ip(f == 4 ? NetpolCluster.EXT4 : NetpolCluster.EXT6));
                for (Party a : parties) {
                    for (Party b : parties) {
                        if (a.equals(b) || (a instanceof Party.Address && b instanceof Party.Address)) {
                            continue;
                        }
                        for (String port : Reachability.PORTS) {
                            int proto = ConformanceTest.proto(port);
                            int num = ConformanceTest.number(port);
                            Verdict want = sem.decide(a, b, proto, num, f);
                            Decision got = engine.decide(r, a, b, proto, num, f);
                            checked++;
                            seen.merge(got.verdict(), 1, Integer::sum);
                            if (want != got.verdict()) {
                                wrong.add("IPv" + f + " " + a + " -> " + b + " " + port + ": semantic " + want + ", engine " + got);
                            }
                        }
                    }
                }
            }
            assertThat(wrong).as("round " + round + " policies " + policies + "\nentries " + r.endpoints()
                    + "\nwarnings " + r.warnings()).isEmpty();
        }
        System.out.println("evaluator agreement: " + ROUNDS + " random policy sets, " + checked + " connections checked " + seen);
        assertThat(seen).containsKeys(Verdict.ALLOWED, Verdict.DENIED, Verdict.AUDIT);
    }
}
