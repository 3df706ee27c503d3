package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.conformance.ConformanceCase;
import dev.weir.agent.conformance.ConformanceCases;
import dev.weir.agent.policy.Decision.Verdict;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyObject;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.policy.RandomPolicies;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.testkit.Requirements;

/**
 * "Java says / kernel does": every conformance case resolved by the engine, written into two loaded
 * {@code tc_endpoint} objects (one per node of the netpol model) by the agent's own map writer, and every
 * ordered pair of parties (9 pods, the external client, the 2 nodes' addresses) times TCP/80, TCP/81,
 * UDP/80, UDP/81, TCP/443, SCTP/80 and ICMP echo, in IPv4 and IPv6, judged by {@link PolicyEngine#decide}
 * and by BPF_PROG_TEST_RUN of the two hooks with a real opening packet. Each hook must agree on verdict,
 * reason and rule. Where the case states an expectation (its families, pod pairs, the four matrix ports)
 * the kernel must meet it too. Verifier acceptance proves memory safety; this proves the policy.
 *
 * <p>Both families run for every case, not only those whose expectation covers IPv6: the engine and the
 * kernel must agree whatever the intent means.
 */
class JavaSaysKernelDoesTest {

    private static final int RANDOM_ROUNDS = 300;
    private static final int RANDOM_SAMPLE = 60;

    private static VerdictComparison cmp;

    @BeforeAll
    static void load() {
        Requirements.root();
        cmp = new VerdictComparison(NetpolCluster.snapshot(List.of()).nodes());
    }

    @AfterAll
    static void close() {
        if (cmp != null) {
            cmp.close();
        }
    }

    @Test
    void theKernelDecidesEveryConformanceCaseAsTheEngine() {
        List<ConformanceCase> cases = ConformanceCases.load();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(52);
        PolicyParser parser = new PolicyParser();
        PolicyEngine engine = new PolicyEngine();
        List<String> disagree = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        long start = System.nanoTime();
        int before = cmp.checked();
        for (ConformanceCase c : cases) {
            PolicyResult r = engine.resolve(NetpolCluster.snapshot(parser.parse(c.policies())), new InMemoryIdentityAllocator());
            cmp.apply(r);
            Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
            int caseDiffs = 0;
            int n = 0;
            for (int f : new int[] {4, 6}) {
                for (Connection conn : Connection.all(f, cmp.parties(), cmp.addresses(), Connection.Probe.ALL)) {
                    VerdictComparison.Outcome o = cmp.check(conn);
                    n++;
                    verdicts.merge(o.kernelVerdict(), 1, Integer::sum);
                    if (!o.agrees()) {
                        caseDiffs++;
                        disagree.add(c.name() + " " + o.diff());
                    }
                    if (c.families().contains(f) && conn.src().contains("/") && conn.dst().contains("/")
                            && conn.probe().isMatrixPort()) {
                        Verdict want = c.expected().get(f, conn.src(), conn.dst(), conn.probe().name());
                        if (want != o.kernelVerdict()) {
                            unexpected.add(c.name() + " " + conn + ": expect.txt says " + want + ", kernel " + o.kernelVerdict());
                        }
                    }
                }
            }
            System.out.printf("java-says-kernel-does %-40s %5d checks  %-40s %s%n", c.name(), n, verdicts,
                    caseDiffs == 0 ? "agree" : caseDiffs + " DISAGREE");
        }
        int total = cmp.checked() - before;
        System.out.printf("java-says-kernel-does: %d cases, %d connections (%d hook runs at most), %d disagreements, %.1f s%n",
                cases.size(), total, 2 * total, disagree.size(), (System.nanoTime() - start) / 1e9);
        assertThat(disagree).as("engine vs kernel (first 40 of %d)", disagree.size()).isEmpty();
        assertThat(unexpected).as("kernel vs expect.txt").isEmpty();
        assertThat(cmp.seen()).containsKeys(Verdict.ALLOWED, Verdict.DENIED, Verdict.AUDIT);
    }

    /**
     * Random policy sets (the engine's {@code RandomPolicies}: NetworkPolicies, weir policies with denies,
     * entities and CIDRs, PolicyModes) applied one after another into the same objects — so generations
     * flip and stale ipcache/pol entries must go — each judged on a sample of connections per family.
     * After each apply the kernel's active generation must hold exactly the writer's entries. The seed is printed; {@code -Dweir.jsk.seed=N} replays one.
     */
    @Test
    void theKernelDecidesRandomPolicySetsAsTheEngine() {
        long seed = Long.getLong("weir.jsk.seed", 20240611L);
        RandomPolicies gen = new RandomPolicies(seed);
        Random pick = new Random(seed);
        PolicyEngine engine = new PolicyEngine();
        InMemoryIdentityAllocator alloc = new InMemoryIdentityAllocator();
        List<String> disagree = new ArrayList<>();
        Map<Verdict, Integer> verdicts = new EnumMap<>(Verdict.class);
        long start = System.nanoTime();
        int n = 0;
        PolicyResult previous = null;
        for (int round = 0; round < RANDOM_ROUNDS; round++) {
            List<PolicyObject> policies = gen.next();
            PolicyResult r = engine.resolve(NetpolCluster.snapshot(policies), alloc);
            if (previous != null) {
                engine.release(previous, alloc);
            }
            previous = r;
            cmp.apply(r);
            List<String> maps = cmp.staleOrMissing();
            assertThat(maps).as("seed %d round %d: the kernel's maps after the writer's generation flip", seed, round).isEmpty();
            for (int f : new int[] {4, 6}) {
                List<Connection> all = new ArrayList<>(Connection.all(f, cmp.parties(), cmp.addresses(), Connection.Probe.ALL));
                Collections.shuffle(all, pick);
                for (Connection conn : all.subList(0, RANDOM_SAMPLE)) {
                    VerdictComparison.Outcome o = cmp.check(conn);
                    n++;
                    verdicts.merge(o.kernelVerdict(), 1, Integer::sum);
                    if (!o.agrees()) {
                        disagree.add("seed " + seed + " round " + round + " " + o.diff() + "\n    policies " + policies);
                    }
                }
            }
        }
        System.out.printf("java-says-kernel-does random: seed %d, %d policy sets, %d connections %s, %d disagreements, %.1f s%n",
                seed, RANDOM_ROUNDS, n, verdicts, disagree.size(), (System.nanoTime() - start) / 1e9);
        assertThat(disagree).as("engine vs kernel on random policies (%d)", disagree.size()).isEmpty();
        assertThat(verdicts).containsKeys(Verdict.ALLOWED, Verdict.DENIED, Verdict.AUDIT);
    }

    /** The harness bites: a map the writer did not write, or a wrong rule, shows up as a disagreement. */
    @Test
    void aTamperedMapIsReported() {
        ConformanceCase c = ConformanceCases.load().stream().filter(x -> x.name().startsWith("08-")).findFirst().orElseThrow();
        PolicyResult r = new PolicyEngine().resolve(NetpolCluster.snapshot(new PolicyParser().parse(c.policies())),
                new InMemoryIdentityAllocator());
        cmp.apply(r);
        Connection toXa = new Connection(4, "y/a", "x/a", Connection.Probe.tcp(80));
        Connection fromXb = new Connection(4, "x/b", "x/a", Connection.Probe.tcp(80));
        assertThat(cmp.check(toXa).agrees()).isTrue();
        assertThat(cmp.check(fromXb).agrees()).isTrue();

        int xa = NetpolCluster.id("x/a");
        NodeDatapath node = cmp.node(r.snapshot().endpoints().get(xa - 1).node());
        int ifindex = NodeDatapath.ifindexOf(xa);
        EpInfo written = node.maps.eps.lookup(ifindex).orElseThrow();
        node.maps.eps.put(ifindex, written.withFlags(0));
        VerdictComparison.Outcome unenforced = cmp.check(toXa);
        assertThat(unenforced.agrees()).isFalse();
        assertThat(unenforced.diff()).contains("java DENIED", "ingress DROP_POLICY", "kernel ALLOWED", "ingress PASS_NO_POLICY");

        node.maps.eps.put(ifindex, written);
        for (var e : node.maps.pol.entries().entrySet()) {
            if (e.getKey().epId() == xa) {
                PolVal v = e.getValue();
                node.maps.pol.put(e.getKey(), new PolVal(v.action(), v.hasL4(), v.rule() + 100, 0, 0));
            }
        }
        VerdictComparison.Outcome wrongRule = cmp.check(fromXb);
        assertThat(wrongRule.agrees()).isFalse();
        assertThat(wrongRule.kernelVerdict()).isEqualTo(Verdict.ALLOWED);
    }
}
