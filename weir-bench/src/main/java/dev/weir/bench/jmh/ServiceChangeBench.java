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

import dev.weir.agent.cluster.Node;
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
 * JMH: the control plane's share of one EndpointSlice change at {@code services} x 10 endpoints on two nodes,
 * without a store's I/O or the kernel: the writer parses the slice, plans the commit and checks it
 * ({@code ClusterCompiler.parse}, {@link CommitPlan#of}, {@code check}), then each node's compiler computes
 * from the objects after it ({@code compile}). The change alternates one endpoint of the last service between
 * two addresses, so every operation changes something. {@code oneChange} is the sum; the other benchmarks
 * time its steps. Run with {@code java -jar weir-bench.jar jmh ServiceChangeBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
public class ServiceChangeBench {

    /** The two nodes of the service benchmarks. */
    static final ClusterState CLUSTER = new ClusterState(List.of(
            new Node("node1", "weir-node1", "192.168.100.1", null), new Node("node2", "weir-node2", "192.168.100.2", null)),
            List.of(), List.of());

    @Param({"10000"})
    public int services;

    private Path dir;
    private StoreIdentityAllocator identities;
    private ClusterCompiler writer;
    private ClusterCompiler node2;
    private List<StoredObject> objects;
    private long revision;
    private final String[] slices = new String[2];
    private int turn;

    @Setup
    public void setup() throws IOException {
        dir = Files.createTempDirectory("weir-jmh-change");
        identities = new StoreIdentityAllocator(new FileStore(FileStore.Config.of(dir)));
        KubeProxyRules rules = KubeProxyRules.distinct(services, 80, 10);
        int last = services - 1;
        for (int i = 0; i < 2; i++) {
            slices[i] = rules.withEndpoint(last, 0, new KubeProxyRules.Endpoint(KubeProxyRules.syntheticPod(services * 10 + i), 80))
                    .weirSlice(last);
        }
        LbMapSizes sizes = largestMaps();
        writer = new ClusterCompiler(new InMemoryLbIdAllocator(), sizes);
        node2 = new ClusterCompiler(new InMemoryLbIdAllocator(), sizes);
        objects = List.of();
        commit(rules.weirYaml());
        compile();
    }

    /** Every service map at its largest size: the benchmarks' states never overflow them. */
    static LbMapSizes largestMaps() {
        java.util.Map<String, Integer> big = new java.util.HashMap<>();
        dev.weir.datapath.lb.LbMaps.SHARED.forEach(m -> big.put(m, LbMapSizes.MAX));
        return new LbMapSizes(big);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Parse, plan, check, "commit" and both nodes' computations: the Java part of apply-to-enforced. */
    @Benchmark
    public ComputedState oneChange() {
        commit(slices[turn++ & 1]);
        return compile();
    }

    /** Parse, plan and check only (the check's index then follows the stored objects back, next time). */
    @Benchmark
    public CommitPlan applyCheck() {
        return plan(slices[turn++ & 1], true);
    }

    private void commit(String yaml) {
        CommitPlan p = plan(yaml, true);
        objects = p.after();
        revision++;
    }

    private CommitPlan plan(String yaml, boolean check) {
        List<Change> changes = writer.parse("bench.yaml", yaml).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), "bench.yaml")).toList();
        CommitPlan p = CommitPlan.of(objects, changes, revision + 1);
        if (check) {
            writer.check("node1", CLUSTER, p.before(), p.after());
        }
        return p;
    }

    private ComputedState compile() {
        writer.compile(new StateCompiler.Input("node1", CLUSTER, objects, revision, identities));
        return node2.compile(new StateCompiler.Input("node2", CLUSTER, objects, revision, identities));
    }
}
