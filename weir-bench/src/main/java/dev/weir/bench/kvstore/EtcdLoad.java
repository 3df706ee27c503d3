package dev.weir.bench.kvstore;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import dev.weir.lab.etcd.EtcdCluster;

/**
 * One look at every etcd member at one moment: the process's CPU time and resident memory (from {@code /proc})
 * and a scrape of its {@code /metrics}. Two looks give what happened in between ({@link #since}). Immutable.
 */
public record EtcdLoad(long nanos, List<Member> members) {

    /** One member: its CPU time (user + system) in seconds, its RSS in bytes, its metrics. */
    public record Member(String name, long pid, double cpuSeconds, long rssBytes, PromText metrics) {
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final double TICKS = clockTicks();

    public EtcdLoad {
        members = List.copyOf(members);
    }

    /**
     * Looks at the members now.
     *
     * @throws IllegalStateException when a member's process or metrics cannot be read
     */
    public static EtcdLoad of(EtcdCluster cluster) {
        List<Member> out = new ArrayList<>();
        for (EtcdCluster.Member m : cluster.members()) {
            Path proc = Path.of("/proc", Long.toString(m.pid()));
            try {
                long ticks = cpuTicks(Files.readString(proc.resolve("stat")));
                long rss = rssBytes(Files.readString(proc.resolve("status")));
                out.add(new Member(m.name(), m.pid(), ticks / TICKS, rss, PromText.parse(scrape(m.clientUrl() + "/metrics"))));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read etcd member " + m.name() + " (pid " + m.pid() + "): " + e.getMessage(), e);
            }
        }
        return new EtcdLoad(System.nanoTime(), out);
    }

    /** CPU seconds of every member together. */
    public double cpuSeconds() {
        return members.stream().mapToDouble(Member::cpuSeconds).sum();
    }

    /** The sum over members of a metric (all its samples). */
    public double sum(String metric) {
        return members.stream().mapToDouble(m -> m.metrics().sum(metric)).sum();
    }

    /** The largest member's value of a metric (all its samples). */
    public double max(String metric) {
        return max(m -> m.metrics().sum(metric));
    }

    public double max(ToDoubleFunction<Member> f) {
        return members.stream().mapToDouble(f).max().orElse(0);
    }

    /** What happened between {@code earlier} and this look. */
    public Delta since(EtcdLoad earlier) {
        return new Delta(earlier, this);
    }

    /** Between two looks at the same members. */
    public record Delta(EtcdLoad before, EtcdLoad after) {

        public double seconds() {
            return (after.nanos() - before.nanos()) / 1e9;
        }

        /** CPU seconds every member spent together. */
        public double cpuSeconds() {
            return after.cpuSeconds() - before.cpuSeconds();
        }

        /** How much a counter grew, summed over members. */
        public double sum(String metric) {
            return after.sum(metric) - before.sum(metric);
        }

        /** How much a counter's samples with {@code label=value} grew, summed over members. */
        public double sum(String metric, String label, String value) {
            return sumOf(after, metric, label, value) - sumOf(before, metric, label, value);
        }

        /** The largest growth of a counter on one member (the leader's, for one counted by the leader). */
        public double max(String metric) {
            double best = 0;
            for (int i = 0; i < after.members().size(); i++) {
                best = Math.max(best, after.members().get(i).metrics().sum(metric) - before.members().get(i).metrics().sum(metric));
            }
            return best;
        }

        private static double sumOf(EtcdLoad l, String metric, String label, String value) {
            return l.members().stream().mapToDouble(m -> m.metrics().sum(metric, label, value)).sum();
        }
    }

    /** utime + stime, in clock ticks, from a {@code /proc/<pid>/stat} line. */
    static long cpuTicks(String stat) {
        // the command (field 2) is in parentheses and may hold spaces: count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** VmRSS, in bytes, from {@code /proc/<pid>/status}; 0 when absent (a zombie). */
    static long rssBytes(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).strip().split("\\s+")[0]) * 1024;
            }
        }
        return 0;
    }

    private static String scrape(String url) throws IOException {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException(url + ": HTTP " + r.statusCode());
            }
            return r.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(url + ": interrupted", e);
        }
    }

    private static double clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 ? Double.parseDouble(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
