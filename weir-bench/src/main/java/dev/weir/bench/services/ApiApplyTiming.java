package dev.weir.bench.services;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiClient;

/**
 * One EndpointSlice change through the agent API, without the CLI: {@code apply} is sent to the first agent
 * (what {@code weir apply} does once its JVM runs), then every agent's {@code status} is polled (every 5 ms:
 * the agent stamps appliedAt itself) until its {@code appliedRevision} reaches the commit's. Two times per change: until the
 * {@code apply} call returned (parse, check, commit), and until the last node enforced it — the latest
 * {@code appliedAt} the agents report (set when their dataplane write returned), minus the moment the
 * request was sent (one clock: the agents run on this machine). Also each agent's memory as
 * {@code status} reports it. Agents are found as {@code $WEIR_RUN_ROOT/*}{@code /api.sock} ({@code /run/weir}).
 */
final class ApiApplyTiming {

    private static final ObjectMapper M = new ObjectMapper();

    /** Seconds per change: the apply call, and until every node enforced. */
    record Result(List<Double> commit, List<Double> enforced, List<String> timings) {
    }

    private final List<ApiClient> agents;

    ApiApplyTiming() throws IOException {
        this.agents = agents();
        if (agents.isEmpty()) {
            throw new IllegalStateException("no agent socket under " + runRoot());
        }
    }

    /** {@code changes.get(i)} applied in turn (each one EndpointSlice document). */
    Result measure(List<String> changes) throws InterruptedException {
        List<Double> commit = new ArrayList<>();
        List<Double> enforced = new ArrayList<>();
        List<String> timings = new ArrayList<>();
        for (String yaml : changes) {
            ObjectNode params = M.createObjectNode();
            params.putArray("files").addObject().put("source", "bench-slice.yaml").put("text", yaml);
            params.put("delete", false);
            Instant sent = Instant.now();
            long t0 = System.nanoTime();
            JsonNode r = agents.getFirst().call("apply", params, Duration.ofMinutes(5));
            commit.add((System.nanoTime() - t0) / 1e9);
            JsonNode t = r.path("timings");
            timings.add(String.format("parse %.1f ms, check %.1f ms, commit %.1f ms", t.path("parseMs").asDouble(),
                    t.path("checkMs").asDouble(), t.path("commitMs").asDouble()));
            long revision = r.path("revision").asLong();
            Instant last = awaitEnforced(revision);
            enforced.add(Duration.between(sent, last).toNanos() / 1e9);
        }
        return new Result(commit, enforced, timings);
    }

    /** The latest appliedAt once every agent's appliedRevision reached {@code revision}. */
    private Instant awaitEnforced(long revision) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        Instant latest = Instant.EPOCH;
        for (ApiClient a : agents) {
            while (true) {
                JsonNode s = a.call("status", null, Duration.ofSeconds(30));
                if (s.path("appliedRevision").asLong() >= revision) {
                    Instant at = Instant.parse(s.path("appliedAt").asText());
                    latest = at.isAfter(latest) ? at : latest;
                    break;
                }
                if (s.path("failedRevision").asLong() >= revision && !s.path("syncError").isNull()) {
                    throw new IllegalStateException(s.path("node").asText() + ": " + s.path("syncError").asText());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(s.path("node").asText() + " did not reach revision " + revision);
                }
                // appliedAt is the agent's own stamp, so polling less often loses no accuracy; polling every
                // millisecond took CPU from the agents being timed, on two cores
                Thread.sleep(5);
            }
        }
        return latest;
    }

    /**
     * Waits until every agent has finished its first sync and enforces the store's revision without error: after
     * {@code weir lab restart-agents} (which returns once each agent answers) the agents still load their state,
     * and a timed apply that starts then would charge that start to the apply.
     */
    void awaitSettled(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ApiClient a : agents) {
            while (true) {
                JsonNode s = a.call("status", null, Duration.ofSeconds(30));
                if (!s.path("appliedAt").isNull() && !s.path("appliedAt").isMissingNode() && s.path("syncError").isNull()
                        && s.path("appliedRevision").asLong() >= s.path("storeRevision").asLong()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(s.path("node").asText() + " has not settled after " + timeout.toSeconds()
                            + " s: applied revision " + s.path("appliedRevision").asLong() + " of " + s.path("storeRevision").asLong()
                            + (s.path("syncError").isNull() ? "" : ", " + s.path("syncError").asText()));
                }
                Thread.sleep(50);
            }
        }
    }

    /** Per node: heap after the last GC, heap committed, heap max and RSS, in MiB, as {@code status} reports them. */
    Map<String, String> memory() {
        Map<String, String> out = new LinkedHashMap<>();
        for (ApiClient a : agents) {
            JsonNode s = a.call("status", null, Duration.ofSeconds(30));
            JsonNode m = s.path("memory");
            out.put(s.path("node").asText(), String.format("heap %d MiB after GC (%d committed, max %d), RSS %d MiB",
                    m.path("heapAfterGcBytes").asLong() >> 20, m.path("heapCommittedBytes").asLong() >> 20,
                    m.path("heapMaxBytes").asLong() >> 20, m.path("rssBytes").asLong() >> 20));
        }
        return out;
    }

    /**
     * Per node: the time one Prometheus scrape of its {@code metricsUrl} takes (median, min–max over
     * {@code times}, one after another) and the size of the answer; "no metrics" for an agent without.
     */
    Map<String, String> scrapes(int times) throws IOException, InterruptedException {
        Map<String, String> out = new LinkedHashMap<>();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        for (ApiClient a : agents) {
            JsonNode s = a.call("status", null, Duration.ofSeconds(30));
            String url = s.path("metricsUrl").asText("");
            if (url.isEmpty()) {
                out.put(s.path("node").asText(), "no metrics");
                continue;
            }
            List<Double> ms = new ArrayList<>();
            int bytes = 0;
            for (int i = 0; i < times; i++) {
                long t0 = System.nanoTime();
                var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                ms.add((System.nanoTime() - t0) / 1e6);
                bytes = r.body().length();
            }
            java.util.Collections.sort(ms);
            out.put(s.path("node").asText(), String.format("%.1f ms median (%.1f–%.1f) over %d, %d KiB",
                    ms.get(ms.size() / 2), ms.getFirst(), ms.getLast(), times, bytes >> 10));
        }
        return out;
    }

    private static Path runRoot() {
        return Path.of(System.getenv().getOrDefault("WEIR_RUN_ROOT", "/run/weir"));
    }

    private static List<ApiClient> agents() throws IOException {
        List<ApiClient> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(runRoot())) {
            List<Path> sorted = new ArrayList<>();
            dirs.forEach(sorted::add);
            sorted.sort(null);
            for (Path d : sorted) {
                Path sock = d.resolve("api.sock");
                if (Files.exists(sock)) {
                    out.add(new ApiClient(sock));
                }
            }
        }
        return out;
    }
}
