package dev.weir.bench.services;

import java.util.ArrayList;
import java.util.List;

import dev.weir.bench.prefilter.PrefilterBenchCommand;

/**
 * Times {@code iptables-restore} at scale in the client's node: a kube-proxy ruleset of {@code services}
 * services × {@code endpoints} distinct endpoints (unrouted addresses) loaded into an empty nat table
 * ("apply"), then one endpoint of the last service changed and the whole table written again, as on
 * kube-proxy's full sync ("change, full"), and only that service's chains written with {@code --noflush},
 * as on kube-proxy 1.28+'s partial sync ("change, partial"). The full writes use table mode (no
 * {@code --noflush}): with {@code --noflush} this iptables-nft (1.8.9) spends time quadratic in the number
 * of declared chains (2,000 services x 2 endpoints: 1.3 s against 0.3 s; 10,000 x 2: 133 s), which would
 * measure that defect rather than the ruleset; docs/benchmarks.md has the figures. Each change is checked by listing the
 * changed chain. The table is deleted after every round. Owns the node's nat table while it runs.
 */
record RestoreTiming(NodeShell node, int services, int endpoints) {

    /** Seconds per round for each step, and the ruleset's size. */
    record Result(List<Double> apply, List<Double> changeFull, List<Double> changePartial, int chains, int rules,
                  int inputBytes) {
    }

    Result measure(int rounds) throws Exception {
        KubeProxyRules rules = KubeProxyRules.distinct(services, 80, endpoints);
        String input = rules.restoreInput(true);
        List<Double> apply = new ArrayList<>();
        List<Double> full = new ArrayList<>();
        List<Double> partial = new ArrayList<>();
        int last = services - 1;
        int ruleCount = 0;
        for (int r = 0; r < rounds; r++) {
            PrefilterBenchCommand.progress(String.format("iptables-restore of %,d services x %d endpoints, round %d/%d",
                    services, endpoints, r + 1, rounds));
            drop();
            apply.add(node.run(input, "iptables-restore").seconds());
            if (r == 0) {
                ruleCount = (int) node.run(null, "iptables-save", "-t", "nat").out().lines()
                        .filter(l -> l.startsWith("-A ")).count();
            }
            KubeProxyRules.Endpoint moved = new KubeProxyRules.Endpoint(KubeProxyRules.syntheticPod(services * endpoints + 2 * r), 80);
            KubeProxyRules changed = rules.withEndpoint(last, 0, moved);
            full.add(node.run(changed.restoreInput(true), "iptables-restore").seconds());
            expect(changed, last, moved);
            KubeProxyRules.Endpoint moved2 = new KubeProxyRules.Endpoint(KubeProxyRules.syntheticPod(services * endpoints + 2 * r + 1), 80);
            KubeProxyRules changed2 = changed.withEndpoint(last, 0, moved2);
            partial.add(node.run(changed2.partialRestoreInput(changed, last), "iptables-restore", "--noflush").seconds());
            expect(changed2, last, moved2);
        }
        drop();
        return new Result(apply, full, partial, rules.chainCount(), ruleCount, input.length());
    }

    /** The service's chain sends its first endpoint's share to the moved endpoint's KUBE-SEP, which DNATs to it. */
    private void expect(KubeProxyRules rules, int s, KubeProxyRules.Endpoint moved) throws Exception {
        KubeProxyRules.Service svc = rules.services().get(s);
        String sep = svc.sepChain(moved);
        String svcRules = node.run(null, "iptables", "-t", "nat", "-S", svc.svcChain()).out();
        String sepRules = node.run(null, "iptables", "-t", "nat", "-S", sep).out();
        long jumps = svcRules.lines().filter(l -> l.contains("-j KUBE-SEP-")).count();
        if (!svcRules.contains("-j " + sep) || jumps != svc.endpoints().size()
                || !sepRules.contains("--to-destination " + moved.hostPort())) {
            throw new IllegalStateException("after the change " + svc.svcChain() + " does not send to " + moved.hostPort()
                    + " (" + jumps + " KUBE-SEP jumps):\n" + svcRules + sepRules);
        }
    }

    private void drop() throws Exception {
        node.deleteNatTable();
    }
}
