package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;

/**
 * Not a benchmark (no JMH): resolves 1,000 policies over 1,000 endpoints and prints the time. The only
 * assertion is on the output's shape; the figure is reported, not enforced.
 */
class ScaleCheckTest {

    @Test
    void thousandPoliciesOverThousandEndpoints() {
        List<Namespace> namespaces = new ArrayList<>();
        List<Endpoint> eps = new ArrayList<>();
        for (int n = 0; n < 20; n++) {
            namespaces.add(new Namespace("ns" + n, Map.of("team", "t" + (n % 5))));
        }
        for (int i = 0; i < 1000; i++) {
            int n = i % 20;
            eps.add(new Endpoint(i + 1, "ns" + n, "pod" + i, Map.of("app", "app" + (i % 50), "tier", "t" + (i % 3)),
                    "node" + (i % 10), "10." + (i / 250) + "." + (i % 250) + ".1", "fd00::" + Integer.toHexString(i + 1), "lxc" + i));
        }
        List<PolicyObject> policies = new ArrayList<>();
        for (int p = 0; p < 1000; p++) {
            String ns = "ns" + (p % 20);
            var peers = List.of(
                    new NetworkPolicy.Peer(LabelSelector.of(Map.of("app", "app" + ((p + 1) % 50))), null, null),
                    new NetworkPolicy.Peer(LabelSelector.of(Map.of("tier", "t" + (p % 3))), LabelSelector.of(Map.of("team", "t" + (p % 5))), null),
                    new NetworkPolicy.Peer(null, null, new IpBlock(Cidr.parse("10." + (p % 4) + ".0.0/16"),
                            List.of(Cidr.parse("10." + (p % 4) + "." + (p % 250) + ".0/24")))));
            var ports = List.of(new PortRule(Protocol.TCP, new PortRange(8000 + p % 100, 8010 + p % 100)), new PortRule(Protocol.UDP, PortRange.single(53)));
            policies.add(new NetworkPolicy(ns, "p" + p, null, LabelSelector.of(Map.of("app", "app" + (p % 50))),
                    java.util.Set.of(Direction.INGRESS, Direction.EGRESS),
                    List.of(new NetworkPolicy.Rule(peers, ports)), List.of(new NetworkPolicy.Rule(peers.subList(0, 1), List.of()))));
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            nodes.add(new Node("node" + i, null, "192.168.0." + (i + 1), null));
        }
        ClusterSnapshot snap = new ClusterSnapshot(nodes, namespaces, eps, policies);
        PolicyEngine engine = new PolicyEngine();
        engine.resolve(snap, new InMemoryIdentityAllocator()); // warm-up
        long best = Long.MAX_VALUE;
        PolicyResult r = null;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            r = engine.resolve(snap, new InMemoryIdentityAllocator());
            best = Math.min(best, System.nanoTime() - t0);
        }
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            IdentityTable table = new IdentityTable(snap, PolicyCompiler.cidrs(snap.policies()), new InMemoryIdentityAllocator());
            long t1 = System.nanoTime();
            PolicyCompiler c = new PolicyCompiler(snap, table);
            List<PolicyCompiler.Contribution> compiled = PolicyCompiler.ordered(snap.policies()).stream().map(c::compile).toList();
            long t2 = System.nanoTime();
            long raw = compiled.stream().mapToLong(x -> (long) x.entries().size() * x.selected().size()).sum();
            compiled.forEach(x -> DenyPropagation.apply(x.entries()));
            long t3 = System.nanoTime();
            System.out.printf("  phases: identities %d ms, compile %d ms (%d raw entries), merge (each policy alone) %d ms%n",
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, raw, (t3 - t2) / 1_000_000);
        }
        long entries = r.endpoints().values().stream().mapToLong(e -> e.entries().size()).sum();
        System.out.printf("scale check: 1000 policies x 1000 endpoints resolved in %d ms (best of 5 after warm-up);"
                + " %d identities, %d ipcache entries, %d policy entries%n", best / 1_000_000, r.identities().size(),
                r.ipcache().size(), entries);
        assertThat(r.endpoints()).hasSize(1000);
        assertThat(entries).isPositive();
    }
}
