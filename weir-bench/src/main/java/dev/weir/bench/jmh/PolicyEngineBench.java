package dev.weir.bench.jmh;

import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.Direction;
import dev.weir.agent.policy.IncrementalPolicyEngine;
import dev.weir.agent.policy.IpBlock;
import dev.weir.agent.policy.NetworkPolicy;
import dev.weir.agent.policy.PortRule;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyMode;
import dev.weir.agent.policy.PolicyObject;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.bench.policy.NetpolModel;
import dev.weir.bench.policy.NodeWrites;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the policy compiler's stages over {@link NetpolModel}'s 1,000 endpoints with 100 or 1,000
 * NetworkPolicies — parse, {@link PolicyEngine#resolve}, one policy changed through the agent's
 * {@link IncrementalPolicyEngine} ({@code changeOnePolicy}: the middle policy's first ingress rule gets another
 * port, and back, so every call is a change; {@code addOrRemoveOnePod}: a pod that joins an identity added and
 * removed in turn; {@code relabelOneNamespace}: one namespace's {@code env} label changed and back, so its 10 pods change
 * identity; {@code oneNewCidr}: the middle policy's first egress rule gets a peer {@code ipBlock: 192.0.2.0/24}, a
 * prefix no policy named, and loses it again, so the 100 policies whose {@code 0.0.0.0/0} block covers it change
 * too; {@code changeOneMode}: one namespace's PolicyMode turns audit on and off), and the per-endpoint {@code pol} compile
 * ({@code PolicyMapWriter.polEntries} through {@link NodeWrites#compile}). Small forks and iterations: the
 * machine has two cores. Run with {@code java -jar weir-bench.jar jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PolicyEngineBench {

    @Param({"100", "1000"})
    public int policies;

    private String yaml;
    private ClusterSnapshot snapshot;
    private PolicyResult result;
    private final PolicyEngine engine = new PolicyEngine();
    private final IncrementalPolicyEngine incremental = new IncrementalPolicyEngine(false);
    private final InMemoryIdentityAllocator incrementalIds = new InMemoryIdentityAllocator();
    private final ClusterSnapshot[] variants = new ClusterSnapshot[2];
    private final ClusterSnapshot[] pods = new ClusterSnapshot[2];
    private final IncrementalPolicyEngine podEngine = new IncrementalPolicyEngine(false);
    private final ClusterSnapshot[] namespaces = new ClusterSnapshot[2];
    private final IncrementalPolicyEngine namespaceEngine = new IncrementalPolicyEngine(false);
    private final ClusterSnapshot[] cidrs = new ClusterSnapshot[2];
    private final IncrementalPolicyEngine cidrEngine = new IncrementalPolicyEngine(false);
    private final ClusterSnapshot[] modes = new ClusterSnapshot[2];
    private final IncrementalPolicyEngine modeEngine = new IncrementalPolicyEngine(false);
    private int turn;

    @Setup
    public void setup() {
        yaml = NetpolModel.policiesYaml(policies);
        List<PolicyObject> objects = new PolicyParser().parse(yaml, "bench");
        snapshot = NetpolModel.cluster().withPolicies(objects);
        result = engine.resolve(snapshot, new InMemoryIdentityAllocator());
        List<PolicyObject> changed = new java.util.ArrayList<>(objects);
        int middle = objects.size() / 2;
        NetworkPolicy np = (NetworkPolicy) objects.get(middle);
        List<NetworkPolicy.Rule> ingress = new java.util.ArrayList<>(np.rules(Direction.INGRESS));
        ingress.set(0, new NetworkPolicy.Rule(ingress.get(0).peers(), List.of(new PortRule(Protocol.TCP, PortRange.single(9999)))));
        changed.set(middle, new NetworkPolicy(np.namespace(), np.name(), np.source(), np.podSelector(), np.policyTypes(),
                ingress, np.rules(Direction.EGRESS)));
        variants[0] = snapshot;
        variants[1] = snapshot.withPolicies(changed);
        incremental.update(snapshot, incrementalIds);
        List<dev.weir.agent.cluster.Endpoint> more = new java.util.ArrayList<>(snapshot.endpoints());
        dev.weir.agent.cluster.Endpoint first = more.getFirst();
        more.add(new dev.weir.agent.cluster.Endpoint(100_000, first.namespace(), first.name() + "-b", first.labels(), first.node(),
                "10.244.200.1", null, "lxc-extra"));
        pods[0] = snapshot;
        pods[1] = new ClusterSnapshot(snapshot.nodes(), snapshot.namespaces(), more, snapshot.policies());
        podEngine.update(snapshot, incrementalIds);
        List<dev.weir.agent.cluster.Namespace> relabelled = new java.util.ArrayList<>(snapshot.namespaces());
        dev.weir.agent.cluster.Namespace ns = relabelled.getFirst();
        java.util.Map<String, String> labels = new java.util.HashMap<>(ns.labels());
        labels.put("env", "staging");
        relabelled.set(0, new dev.weir.agent.cluster.Namespace(ns.name(), labels));
        namespaces[0] = snapshot;
        namespaces[1] = new ClusterSnapshot(snapshot.nodes(), relabelled, snapshot.endpoints(), snapshot.policies());
        namespaceEngine.update(snapshot, incrementalIds);
        List<NetworkPolicy.Rule> egress = new java.util.ArrayList<>(np.rules(Direction.EGRESS));
        List<NetworkPolicy.Peer> to = new java.util.ArrayList<>(egress.getFirst().peers());
        to.add(new NetworkPolicy.Peer(null, null, new IpBlock(Cidr.parse("192.0.2.0/24"), List.of())));
        egress.set(0, new NetworkPolicy.Rule(to, egress.getFirst().ports())); // a peer more, no rule more: nothing renumbered
        List<PolicyObject> named = new java.util.ArrayList<>(objects);
        named.set(middle, new NetworkPolicy(np.namespace(), np.name(), np.source(), np.podSelector(), np.policyTypes(),
                np.rules(Direction.INGRESS), egress));
        cidrs[0] = snapshot;
        cidrs[1] = snapshot.withPolicies(named);
        cidrEngine.update(snapshot, incrementalIds);
        for (boolean audit : new boolean[] {false, true}) {
            List<PolicyObject> withMode = new java.util.ArrayList<>(objects);
            withMode.add(new PolicyMode(np.namespace(), "audit", null, null, PolicyMode.Enforcement.DEFAULT, audit));
            modes[audit ? 1 : 0] = snapshot.withPolicies(withMode);
        }
        modeEngine.update(modes[0], incrementalIds);
    }

    @Benchmark
    public List<PolicyObject> parse() {
        return new PolicyParser().parse(yaml, "bench");
    }

    @Benchmark
    public PolicyResult resolve() {
        return engine.resolve(snapshot, new InMemoryIdentityAllocator());
    }

    @Benchmark
    public PolicyResult changeOnePolicy() {
        return alternate(incremental, variants);
    }

    /** A pod added (one that joins an existing identity), then removed: every call is one change. */
    @Benchmark
    public PolicyResult addOrRemoveOnePod() {
        return alternate(podEngine, pods);
    }

    /** One namespace's labels changed, then changed back: every call is one change of 10 pods' identities. */
    @Benchmark
    public PolicyResult relabelOneNamespace() {
        return alternate(namespaceEngine, namespaces);
    }

    /** The middle policy names a prefix no policy named, then no longer: every call is one CIDR identity that comes or goes. */
    @Benchmark
    public PolicyResult oneNewCidr() {
        return alternate(cidrEngine, cidrs);
    }

    /** A namespace's PolicyMode turns audit on, then off: every call is one mode changed for that namespace's 10 pods. */
    @Benchmark
    public PolicyResult changeOneMode() {
        return alternate(modeEngine, modes);
    }

    /** The engine's update to the other of the two snapshots than last time: every call is one change. */
    private PolicyResult alternate(IncrementalPolicyEngine engine, ClusterSnapshot[] pair) {
        turn ^= 1;
        return engine.update(pair[turn], incrementalIds);
    }

    @Benchmark
    public NodeWrites compileMaps() {
        return NodeWrites.compile(result, NetpolModel.NODE);
    }
}
