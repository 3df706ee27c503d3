package dev.weir.bench.services;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.lab.Lab;

/**
 * Runs the connect-rate client ({@code crr-client}, see {@code weir-bench/src/main/c/crr_client.c}) as a
 * process inside a lab pod (its network namespace and cgroup, through {@link Lab#command}) and parses
 * its one-line result. Stateless apart from its settings.
 */
record CrrRun(Lab lab, String pod, Path client, int concurrency, boolean rst) {

    /** One run: connections that got a reply, failures, elapsed seconds, replies by text. */
    record Result(long ok, long errors, double seconds, Map<String, Long> replies, String firstError) {
        double rate() {
            return ok / seconds;
        }
    }

    Result run(String address, int port, double seconds) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(client.toString(), address, Integer.toString(port),
                Double.toString(seconds), Integer.toString(concurrency)));
        if (rst) {
            cmd.add("rst");
        }
        Process p = lab.command(pod, cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int rc = p.waitFor();
        if (rc != 0 || !out.startsWith("ok=")) {
            throw new IOException("crr-client in " + pod + " to " + address + ":" + port + ": exit " + rc + ": " + out);
        }
        return parse(out);
    }

    static Result parse(String line) {
        Map<String, String> f = new TreeMap<>();
        int fe = line.indexOf(" firstError=");
        if (fe >= 0) {
            // the last field, free text (strerror has spaces)
            f.put("firstError", line.substring(fe + " firstError=".length()));
            line = line.substring(0, fe);
        }
        for (String kv : line.split(" ")) {
            int eq = kv.indexOf('=');
            f.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Map<String, Long> replies = new TreeMap<>();
        for (String r : f.getOrDefault("replies", "").split(",")) {
            if (!r.isEmpty()) {
                int c = r.lastIndexOf(':');
                replies.put(r.substring(0, c), Long.parseLong(r.substring(c + 1)));
            }
        }
        return new Result(Long.parseLong(f.get("ok")), Long.parseLong(f.get("errors")),
                Long.parseLong(f.get("ns")) / 1e9, replies, f.get("firstError"));
    }
}
