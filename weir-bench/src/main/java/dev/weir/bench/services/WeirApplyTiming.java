package dev.weir.bench.services;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.weir.bench.prefilter.PrefilterBenchCommand;

/**
 * weir's side of {@link RestoreTiming}: the same services × endpoints (unrouted addresses) as Service and
 * EndpointSlice objects through {@code weir apply}, which returns once every node's agent enforces them
 * ("apply"); then one endpoint of the last service changed and the whole file applied again ("change,
 * whole file": the CLI parses every object, the store keeps the one that changed, the agents recompute and
 * write only that service's entries), and only the changed EndpointSlice applied ("change, one object": what
 * a Kubernetes EndpointSlice update is). Each change is checked with {@code weir service list}. Everything
 * is deleted after every round. Times include the CLI's JVM start.
 */
record WeirApplyTiming(Path weir, int services, int endpoints, int apiChanges) {

    /**
     * Seconds per round for each step; {@code apiCommit} and {@code apiEnforced} per change through the agent API
     * ({@link ApiApplyTiming}); {@code memory} and the time of one metrics {@code scrapes} per node, with the services installed.
     */
    record Result(List<Double> apply, List<Double> changeWhole, List<Double> changeOne, List<Double> apiCommit,
                  List<Double> apiEnforced, List<String> apiTimings, java.util.Map<String, String> memory,
                  java.util.Map<String, String> scrapes, int objects, int inputBytes) {
    }

    Result measure(int rounds) throws Exception {
        KubeProxyRules rules = KubeProxyRules.distinct(services, 80, endpoints);
        String all = rules.weirYaml();
        List<Double> apply = new ArrayList<>();
        List<Double> whole = new ArrayList<>();
        List<Double> one = new ArrayList<>();
        List<Double> apiCommit = new ArrayList<>();
        List<Double> apiEnforced = new ArrayList<>();
        List<String> apiTimings = new ArrayList<>();
        java.util.Map<String, String> memory = java.util.Map.of();
        java.util.Map<String, String> scrapes = java.util.Map.of();
        ApiApplyTiming api = new ApiApplyTiming();
        int last = services - 1;
        Path file = Files.createTempFile("weir-bench-apply-", ".yaml");
        Path slice = Files.createTempFile("weir-bench-slice-", ".yaml");
        try {
            for (int r = 0; r < rounds; r++) {
                PrefilterBenchCommand.progress(String.format("weir apply of %,d services x %d endpoints, round %d/%d",
                        services, endpoints, r + 1, rounds));
                Files.writeString(file, all);
                apply.add(time("apply", "-f", file.toString(), "--timeout", "900"));
                KubeProxyRules.Endpoint moved = new KubeProxyRules.Endpoint(KubeProxyRules.syntheticPod(services * endpoints + 2 * r), 80);
                KubeProxyRules changed = rules.withEndpoint(last, 0, moved);
                Files.writeString(file, changed.weirYaml());
                whole.add(time("apply", "-f", file.toString(), "--timeout", "900"));
                expect(moved);
                KubeProxyRules.Endpoint moved2 = new KubeProxyRules.Endpoint(KubeProxyRules.syntheticPod(services * endpoints + 2 * r + 1), 80);
                KubeProxyRules changed2 = changed.withEndpoint(last, 0, moved2);
                Files.writeString(slice, changed2.weirSlice(last));
                one.add(time("apply", "-f", slice.toString(), "--timeout", "900"));
                expect(moved2);
                if (r == 0) {
                    memory = api.memory();
                    scrapes = api.scrapes(20);
                }
                KubeProxyRules current = changed2;
                List<String> slices = new ArrayList<>();
                for (int i = 0; i < apiChanges; i++) {
                    KubeProxyRules.Endpoint m = new KubeProxyRules.Endpoint(
                            KubeProxyRules.syntheticPod(services * endpoints + 2 * rounds + r * apiChanges + i), 80);
                    current = current.withEndpoint(last, 0, m);
                    slices.add(current.weirSlice(last));
                }
                ApiApplyTiming.Result viaApi = api.measure(slices);
                apiCommit.addAll(viaApi.commit());
                apiEnforced.addAll(viaApi.enforced());
                apiTimings.addAll(viaApi.timings());
                if (apiChanges > 0) {
                    expect(current.services().get(last).endpoints().getFirst());
                }
                time("delete", "-f", file.toString(), "--timeout", "900");
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(slice);
        }
        return new Result(apply, whole, one, apiCommit, apiEnforced, apiTimings, memory, scrapes, 2 * services, all.length());
    }

    /**
     * The moved endpoint is a backend in every node's pinned maps ({@code weir bpf lb list}: what the datapath
     * enforces, whatever the store; {@code weir service list} recomputes from the file store only).
     */
    private void expect(KubeProxyRules.Endpoint moved) throws IOException, InterruptedException {
        var rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run("bpf", "lb", "list", "-o", "json"));
        java.util.Set<String> nodes = new java.util.TreeSet<>();
        java.util.Set<String> with = new java.util.TreeSet<>();
        for (var r : rows) {
            nodes.add(r.path("node").asText());
            for (var b : r.path("backends")) {
                if (b.asText().contains(moved.hostPort())) {
                    with.add(r.path("node").asText());
                }
            }
        }
        if (nodes.isEmpty() || !with.equals(nodes)) {
            throw new IllegalStateException("after the change the maps of " + nodes + " should send to " + moved.hostPort()
                    + ", those of " + with + " do");
        }
    }

    private double time(String... args) throws IOException, InterruptedException {
        long start = System.nanoTime();
        run(args);
        return (System.nanoTime() - start) / 1e9;
    }

    private String run(String... args) throws IOException, InterruptedException {
        return WeirMode.run(weir, args);
    }
}
