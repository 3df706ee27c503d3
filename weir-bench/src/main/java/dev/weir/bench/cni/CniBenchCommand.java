package dev.weir.bench.cni;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.weir.lab.Lab;
import dev.weir.lab.LabException;
import dev.weir.lab.cni.CniRuntime;
import dev.weir.lab.host.Netns;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench cni}: how long weir-cni takes per pod, as a kubelet sees it. On a lab that is up (its agents
 * running), creates N pod network namespaces ({@code weir-pod-bench-<i>}) on one node, runs ADD for all of them
 * through that node's installed plugin, P at a time, then DEL, P at a time, and prints p50/p95/max of each. An
 * ADD's time ends when the plugin answers, i.e. when the pod's policy is in force. The namespaces are removed
 * afterwards, also on failure (lab down would find them too).
 */
@Command(name = "cni", mixinStandardHelpOptions = true,
        description = {"weir-cni ADD and DEL latency (p50/p95/max) on the lab that is up: N pods on one node, P at a",
                "time, through the node's installed plugin (ADD ends when the pod's policy is in force)."})
public final class CniBenchCommand implements Callable<Integer> {

    @Option(names = "--pods", paramLabel = "N", description = "pods (default ${DEFAULT-VALUE})")
    int pods = 50;

    @Option(names = "--parallel", paramLabel = "P", description = "commands at a time (default ${DEFAULT-VALUE})")
    int parallel = 10;

    @Option(names = "--node", description = "the lab node (default ${DEFAULT-VALUE})")
    String node = "node1";

    @Option(names = "--hold", paramLabel = "SECONDS",
            description = "keep the pods this long between ADD and DEL, e.g. to read the agents' memory with them (default 0)")
    int hold;

    @Option(names = "--conflist", description = "the node's network configuration list (default ${DEFAULT-VALUE})")
    String conflist = "05-weir.conflist";

    @Override
    public Integer call() throws Exception {
        if (pods < 1 || pods > 1000 || parallel < 1 || hold < 0) {
            System.err.println("weir-bench: --pods must be 1 to 1000, --parallel at least 1, --hold not negative");
            return 2;
        }
        Lab lab;
        try {
            lab = Lab.require();
        } catch (LabException e) {
            System.err.println("weir-bench: " + e.getMessage());
            return 3;
        }
        CniRuntime runtime = lab.cniRuntime(node, conflist);
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= pods; i++) {
            names.add("weir-pod-bench-" + i);
        }
        try {
            Netns.add(names);
            List<CniRuntime.Pod> specs = new ArrayList<>();
            for (int i = 1; i <= pods; i++) {
                specs.add(new CniRuntime.Pod("bench-" + i, Netns.file(names.get(i - 1)), "eth0", "bench", "bench-" + i,
                        Map.of("app", "bench"), List.of("10.250." + (i / 200) + "." + (i % 200 + 1),
                        "fd00:10:250::" + Integer.toHexString(i)), null));
            }
            List<Double> add = timed(specs, runtime::add);
            if (hold > 0) {
                System.out.printf("holding %d pods on %s for %d s%n", pods, node, hold);
                System.out.flush();
                Thread.sleep(hold * 1000L);
            }
            List<Double> del = timed(specs, p -> {
                runtime.del(p);
                return null;
            });
            System.out.printf("weir-cni on %s: %d pods, %d at a time%n", node, pods, parallel);
            System.out.printf("%-4s %9s %9s %9s%n", "", "p50 (s)", "p95 (s)", "max (s)");
            print("ADD", add);
            print("DEL", del);
            return 0;
        } finally {
            Netns.delete(names.stream().filter(n -> java.nio.file.Files.exists(Netns.file(n))).toList());
        }
    }

    private interface Step {
        Object run(CniRuntime.Pod pod);
    }

    private List<Double> timed(List<CniRuntime.Pod> specs, Step step) throws Exception {
        List<Double> seconds = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            List<Future<?>> futures = new ArrayList<>();
            for (CniRuntime.Pod p : specs) {
                futures.add(pool.submit(() -> {
                    long t0 = System.nanoTime();
                    step.run(p);
                    seconds.add((System.nanoTime() - t0) / 1e9);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        List<Double> sorted = new ArrayList<>(seconds);
        Collections.sort(sorted);
        return sorted;
    }

    private static void print(String what, List<Double> sorted) {
        System.out.printf("%-4s %9.3f %9.3f %9.3f%n", what, percentile(sorted, 0.50), percentile(sorted, 0.95),
                sorted.get(sorted.size() - 1));
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(List<Double> sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
