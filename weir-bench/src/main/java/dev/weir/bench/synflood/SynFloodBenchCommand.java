package dev.weir.bench.synflood;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.model.LabNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench synflood}: a SYN flood with spoofed sources (hping3 --flood --rand-source) from ext at a TCP
 * server on node1's own address, while a legitimate client in ext connects again and again; per defence, the
 * client's success rate and connect latency and the flood's rate as node1's prefilter counted it. One lab for
 * every mode, taken down afterwards. Modes: {@code off} (no SYN cookies at all: net.ipv4.tcp_syncookies=0),
 * {@code kernel} (the kernel's default, cookies once the listener's queue overflows: tcp_syncookies=1),
 * {@code xdp} (weir's SYN proxy: SYNs answered from XDP, tcp_syncookies=2). The prefilter is attached (generic
 * XDP) in every mode, so its per-CPU SYN counter measures the flood each time.
 */
@Command(name = "synflood", mixinStandardHelpOptions = true,
        description = {"SYN flood (hping3, spoofed sources, from ext) at a server on node1 while a client connects:",
                "success rate and connect latency per defence (off, kernel SYN cookies, weir's XDP SYN proxy)."})
public final class SynFloodBenchCommand implements Callable<Integer> {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String NODE_NS = "weir-node1";
    private static final String SERVER = "192.168.100.1";
    private static final List<String> MODES = List.of("off", "kernel", "xdp");

    @Option(names = "--weir", required = true, paramLabel = "PATH", description = "the weir command (bin/weir)")
    String weir;

    @Option(names = "--modes", split = ",", paramLabel = "MODE,...", description = "off, kernel, xdp (default: all)")
    List<String> modes = MODES;

    @Option(names = "--seconds", paramLabel = "S", description = "flood time per mode (default ${DEFAULT-VALUE})")
    int seconds = 10;

    @Option(names = "--port", paramLabel = "PORT", description = "the server's TCP port (default ${DEFAULT-VALUE})")
    int port = 8080;

    @Option(names = "--connect-timeout", paramLabel = "MS", description = "per connection (default ${DEFAULT-VALUE})")
    int connectTimeoutMs = 3000;

    /** One mode's numbers. */
    record Result(String mode, long attempts, long ok, double p50Ms, double p99Ms, double maxMs, double floodPps,
                  long cookiesSent, long cookiesValid, long kernelCookies, long listenDrops) {
    }

    @Override
    public Integer call() throws Exception {
        for (String m : modes) {
            if (!MODES.contains(m)) {
                System.err.println("weir-bench: unknown mode " + m + " (off, kernel, xdp)");
                return 2;
            }
        }
        Map<String, Result> results = new LinkedHashMap<>();
        Process server = null;
        try {
            run(List.of(weir, "lab", "up", "--nodes", "1"));
            server = new ProcessBuilder("nsenter", "--net=/run/netns/" + NODE_NS, "socat",
                    "TCP-LISTEN:" + port + ",fork,reuseaddr,backlog=128", "SYSTEM:true").redirectErrorStream(true).start();
            run(List.of(weir, "prefilter", "attach", "--netns", NODE_NS, "eth0", "--mode", "generic"));
            // as a real server has one: the SYN-ACKs to the spoofed sources leave (to ext, which drops them)
            run(List.of("ip", "-n", NODE_NS, "route", "replace", "default", "via", "192.168.100.200"));
            for (String m : modes) {
                results.put(m, measure(m));
            }
        } finally {
            if (server != null) {
                server.descendants().forEach(ProcessHandle::destroy);
                server.destroy();
            }
            run(List.of(weir, "lab", "down"));
        }
        System.out.printf("SYN flood (hping3 --flood --rand-source, from ext) at %s:%d on node1, %d s per mode;%n",
                SERVER, port, seconds);
        System.out.printf("a client in ext connects back to back (timeout %d ms)%n", connectTimeoutMs);
        System.out.printf("%-8s %9s %9s %8s %8s %8s %8s %10s %10s %8s %10s %10s%n", "defence", "attempts", "connected",
                "success", "p50 ms", "p99 ms", "max ms", "flood pps", "xdp cook.", "valid", "krn cook.", "lst drops");
        results.values().forEach(r -> System.out.printf("%-8s %9d %9d %7.1f%% %8.2f %8.2f %8.1f %10.0f %10d %8d %10d %10d%n",
                r.mode(), r.attempts(), r.ok(), r.attempts() == 0 ? 0 : 100.0 * r.ok() / r.attempts(), r.p50Ms(), r.p99Ms(),
                r.maxMs(), r.floodPps(), r.cookiesSent(), r.cookiesValid(), r.kernelCookies(), r.listenDrops()));
        return 0;
    }

    private Result measure(String mode) throws Exception {
        sysctl(mode.equals("off") ? 0 : mode.equals("kernel") ? 1 : 2);
        run(List.of(weir, "prefilter", "set", "--netns", NODE_NS, "--syn-proxy", mode.equals("xdp") ? String.valueOf(port) : "none"));
        connect(200);   // the SYN that goes up first (the listener's kick), and a warm JIT
        long[] before = tcp();
        long[] kernelBefore = netstat();
        Process flood = new ProcessBuilder("nsenter", "--net=/run/netns/" + LabNames.EXT_NETNS, "timeout", "-s", "INT",
                String.valueOf(seconds), "hping3", "-S", "-p", String.valueOf(port), "--flood", "--rand-source", SERVER)
                .redirectErrorStream(true).start();
        long t0 = System.nanoTime();
        Thread.sleep(500);   // the flood running first
        List<Double> lat = new ArrayList<>();
        long attempts = 0;
        while (System.nanoTime() - t0 < (seconds - 1) * 1_000_000_000L) {
            attempts++;
            double ms = connect(connectTimeoutMs);
            if (ms >= 0) {
                lat.add(ms);
            }
        }
        flood.waitFor(seconds + 10L, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long[] after = tcp();
        long[] kernelAfter = netstat();
        double[] sorted = lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Result(mode, attempts, sorted.length, pct(sorted, 50), pct(sorted, 99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1], (after[0] - before[0]) / elapsed,
                after[1] - before[1], after[2] - before[2], kernelAfter[0] - kernelBefore[0], kernelAfter[1] - kernelBefore[1]);
    }

    /** Milliseconds to connect from ext, or -1 when it failed. */
    private double connect(int timeoutMs) {
        return NetworkNamespace.named(LabNames.EXT_NETNS).callUnchecked(() -> {
            long t = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(SERVER, port), timeoutMs);
                return (System.nanoTime() - t) / 1e6;
            } catch (IOException e) {
                return -1.0;
            }
        });
    }

    private static double pct(double[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /** node1's per-CPU TCP counters summed: SYNs, cookies sent, valid cookies. */
    private long[] tcp() throws Exception {
        JsonNode s = MAPPER.readTree(run(List.of(weir, "prefilter", "stats", "--netns", NODE_NS, "-o", "json")));
        long[] out = new long[3];
        for (JsonNode r : s.path("tcp")) {
            int i = List.of("SYN", "COOKIE-SENT", "COOKIE-VALID").indexOf(r.path("counter").asText());
            if (i >= 0) {
                out[i] = r.path("packets").asLong();
            }
        }
        return out;
    }

    /** node1's TcpExt SyncookiesSent and ListenDrops (/proc/net/netstat in its namespace). */
    private static long[] netstat() throws Exception {
        String[] lines = run(List.of("nsenter", "--net=/run/netns/" + NODE_NS, "cat", "/proc/net/netstat")).split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith("TcpExt:") && lines[i + 1].startsWith("TcpExt:")) {
                List<String> names = List.of(lines[i].split(" "));
                String[] values = lines[i + 1].split(" ");
                return new long[] {Long.parseLong(values[names.indexOf("SyncookiesSent")]),
                        Long.parseLong(values[names.indexOf("ListenDrops")])};
            }
        }
        return new long[2];
    }

    private static void sysctl(int syncookies) throws Exception {
        run(List.of("nsenter", "--net=/run/netns/" + NODE_NS, "sysctl", "-q", "-w", "net.ipv4.tcp_syncookies=" + syncookies));
    }

    private static String run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(Duration.ofMinutes(3).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed: " + out);
        }
        return out;
    }
}
