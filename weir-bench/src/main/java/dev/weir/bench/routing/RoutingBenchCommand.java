package dev.weir.bench.routing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.lab.Lab;
import dev.weir.lab.LabConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench routing}: cross-node TCP throughput, x/a (node1) to x/b (node2), with iperf3, in one run for
 * each way pod traffic crosses nodes: {@code direct} (the lab's own routes, no weir at all: the baseline),
 * {@code tunnel} and {@code native} (weir's, through {@code weir lab up --routing}). Each mode gets a fresh lab,
 * taken down afterwards.
 */
@Command(name = "routing", mixinStandardHelpOptions = true,
        description = {"Cross-node TCP throughput (iperf3, x/a on node1 -> x/b on node2) for the lab's direct routing",
                "without weir (baseline), weir's tunnel and weir's native routing, one run, fresh lab each."})
public final class RoutingBenchCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Option(names = "--weir", required = true, paramLabel = "PATH", description = "the weir command (bin/weir)")
    String weir;

    @Option(names = "--modes", split = ",", paramLabel = "MODE,...", description = "direct, tunnel, native (default: all)")
    List<String> modes = List.of("direct", "tunnel", "native");

    @Option(names = "--seconds", paramLabel = "S", description = "iperf3 time per mode (default ${DEFAULT-VALUE})")
    int seconds = 10;

    @Override
    public Integer call() throws Exception {
        Map<String, double[]> results = new LinkedHashMap<>();
        for (String mode : modes) {
            if (!List.of("direct", "tunnel", "native").contains(mode)) {
                System.err.println("weir-bench: unknown mode " + mode + " (direct, tunnel, native)");
                return 2;
            }
        }
        for (String mode : modes) {
            try {
                up(mode);
                results.put(mode, iperf(Lab.require()));
            } finally {
                down(mode);
            }
        }
        double base = results.containsKey("direct") ? results.get("direct")[0] : 0;
        System.out.printf("cross-node TCP, x/a (node1) -> x/b (node2), iperf3 %d s%n", seconds);
        System.out.printf("%-8s %12s %12s %10s %12s%n", "mode", "Gbit/s", "retransmits", "MSS", "vs direct");
        results.forEach((mode, r) -> System.out.printf("%-8s %12.2f %12.0f %10.0f %12s%n", mode, r[0] / 1e9, r[1], r[2],
                base > 0 ? String.format("%.2f", r[0] / base) : "-"));
        return 0;
    }

    private void up(String mode) throws Exception {
        if (mode.equals("direct")) {
            Lab.up(LabConfig.defaults(), line -> { });
        } else {
            run(List.of(weir, "lab", "up", "--routing", mode));
        }
    }

    private void down(String mode) throws Exception {
        if (mode.equals("direct")) {
            Lab.down(line -> { });
        } else {
            run(List.of(weir, "lab", "down"));
        }
    }

    /** bits/s received, retransmits, the sender's MSS. */
    private double[] iperf(Lab lab) throws Exception {
        String server = lab.pod(dev.weir.lab.model.PodRef.parse("x/b")).ipv4();
        Process s = lab.command("x/b", List.of("iperf3", "-s", "-1", "-B", server)).redirectErrorStream(true).start();
        Thread.sleep(500);
        Process c = lab.command("x/a", List.of("iperf3", "-c", server, "-t", String.valueOf(seconds), "-J"))
                .redirectErrorStream(true).start();
        String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!c.waitFor(seconds + 30L, TimeUnit.SECONDS) || c.exitValue() != 0) {
            s.destroyForcibly();
            throw new IllegalStateException("iperf3 failed: " + out);
        }
        s.waitFor(10, TimeUnit.SECONDS);
        JsonNode end = MAPPER.readTree(out).path("end");
        return new double[] {end.path("sum_received").path("bits_per_second").asDouble(),
                end.path("sum_sent").path("retransmits").asDouble(),
                MAPPER.readTree(out).path("start").path("tcp_mss_default").asDouble()};
    }

    private static void run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(Duration.ofMinutes(3).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed: " + out);
        }
    }
}
