package dev.weir.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.runtime.ClusterCompiler;
import dev.weir.agent.runtime.ComputedState;
import dev.weir.agent.runtime.StateCompiler;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitPlan;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.StoredObject;
import dev.weir.bench.services.KubeProxyRules;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * JMH: the control plane's share of installing {@code services} x {@code endpoints} (distinct endpoints, as
 * {@code bench-services.sh}'s restore section) into an empty store on two nodes, without a store's I/O or the
 * kernel, on warm JVMs. Each invocation starts from agents that have computed the empty store:
 * {@code parse} (the writer's YAML, {@code ClusterCompiler.parse}), {@code check} (the plan of the commit and its
 * apply check, the YAML parsed beforehand), {@code compute} (one node's computation of the new objects, ids from
 * memory) and {@code install} (all of them, and the second node's computation: the CPU of one apply). Run with
 * {@code java -jar weir-bench.jar jmh ServiceInstallBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 5)
@Measurement(iterations = 8)
public class ServiceInstallBench {

    private static final ClusterState CLUSTER = ServiceChangeBench.CLUSTER;

    @Param({"10000"})
    public int services;

    @Param({"2"})
    public int endpoints;

    private Path dir;
    private StoreIdentityAllocator identities;
    private LbMapSizes sizes;
    private String yaml;
    private List<Change> changes;
    private CommitPlan plan;
    private ClusterCompiler writer;
    private ClusterCompiler node2;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("weir-jmh-install");
        identities = new StoreIdentityAllocator(new FileStore(FileStore.Config.of(dir)));
        sizes = ServiceChangeBench.largestMaps();
        yaml = KubeProxyRules.distinct(services, 80, endpoints).weirYaml();
    }

    /** Agents that have computed the empty store; the YAML parsed by the writer and the commit planned, for the steps alone. */
    @Setup(Level.Invocation)
    public void emptyAgents() {
        writer = new ClusterCompiler(new InMemoryLbIdAllocator(), sizes);
        node2 = new ClusterCompiler(new InMemoryLbIdAllocator(), sizes);
        compile(writer, "node1", List.of(), 1);
        compile(node2, "node2", List.of(), 1);
        changes = changes(writer); // the writer keeps its parse for the check and its computation, as in an apply
        plan = CommitPlan.of(List.of(), changes, 2);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public List<Change> parse() {
        return changes(writer);
    }

    @Benchmark
    public CommitPlan check() {
        CommitPlan p = CommitPlan.of(List.of(), changes, 2);
        writer.check("node1", CLUSTER, p.before(), p.after());
        return p;
    }

    @Benchmark
    public ComputedState compute() {
        return compile(node2, "node2", plan.after(), 2);
    }

    @Benchmark
    public ComputedState install() {
        CommitPlan p = CommitPlan.of(List.of(), changes(writer), 2);
        writer.check("node1", CLUSTER, p.before(), p.after());
        compile(writer, "node1", p.after(), 2);
        return compile(node2, "node2", p.after(), 2);
    }

    private List<Change> changes(ClusterCompiler c) {
        return c.parse("bench.yaml", yaml).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), "bench.yaml")).toList();
    }

    private ComputedState compile(ClusterCompiler c, String node, List<StoredObject> objects, long revision) {
        return c.compile(new StateCompiler.Input(node, CLUSTER, objects, revision, identities));
    }
}
