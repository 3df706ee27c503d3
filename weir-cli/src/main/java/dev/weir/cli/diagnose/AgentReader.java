package dev.weir.cli.diagnose;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.agent.LbListCommand;
import dev.weir.cli.output.Json;
import dev.weir.datapath.DropReason;

/**
 * Reads what the agents of this machine show through their API ({@code status}, {@code endpoint.list},
 * {@code policy.get}, {@code service.list}, {@code ct.list}, {@code prefilter.status}, {@code cluster.nodes}) and
 * their Prometheus metrics, and the service frontends in each node's pinned {@code lb_svc}. Reads only.
 */
final class AgentReader {

    /** How long the CPU sample lasts. */
    static final Duration CPU_SAMPLE = Duration.ofSeconds(1);

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final List<AgentDirectory.Agent> agents;
    private final Map<String, String> stopped;

    /** @param stopped nodes whose agent stopped on a fatal error, with the reason */
    AgentReader(List<AgentDirectory.Agent> agents, Map<String, String> stopped) {
        this.agents = agents;
        this.stopped = stopped;
    }

    /** Every agent, down ones included: the CPU sample first (before the other calls cost the agents CPU). */
    List<Facts.Agent> read() {
        Map<String, JsonNode> first = statuses();
        long t0 = System.nanoTime();
        sleep(CPU_SAMPLE);
        Map<String, JsonNode> second = statuses();
        double wall = (System.nanoTime() - t0) / 1e9;
        List<Facts.Agent> out = new ArrayList<>();
        stopped.forEach((node, why) -> out.add(Facts.Agent.down(node, "agent stopped: " + why)));
        for (AgentDirectory.Agent a : agents) {
            JsonNode s = second.get(a.node());
            if (s == null || s.has("error")) {
                out.add(Facts.Agent.down(a.node(), s == null ? "no answer" : s.path("error").asText()));
                continue;
            }
            JsonNode s0 = first.get(a.node());
            double cores = s0 == null || s0.has("error") || s.path("cpuSeconds").asDouble(-1) < 0 ? -1
                    : (s.path("cpuSeconds").asDouble() - s0.path("cpuSeconds").asDouble()) / wall;
            out.add(agent(a, s, cores));
        }
        out.sort(java.util.Comparator.comparing(Facts.Agent::node));
        return out;
    }

    /** The node records the first answering agent sees (etcd; none with the file store). */
    List<Facts.NodeRecord> records() {
        for (AgentDirectory.Agent a : agents) {
            try {
                List<Facts.NodeRecord> out = new ArrayList<>();
                for (JsonNode n : a.call("cluster.nodes", null).path("nodes")) {
                    out.add(new Facts.NodeRecord(n.path("name").asText(), n.path("host").asText(null),
                            n.path("version").asText(null), n.path("heartbeat").asText(null)));
                }
                return out;
            } catch (ApiException e) {
                // ask the next one
            }
        }
        return List.of();
    }

    private Map<String, JsonNode> statuses() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (AgentDirectory.Agent a : agents) {
            try {
                out.put(a.node(), a.call("status", null));
            } catch (ApiException e) {
                out.put(a.node(), Json.mapper().createObjectNode().put("error", e.getMessage()));
            }
        }
        return out;
    }

    private static Facts.Agent agent(AgentDirectory.Agent a, JsonNode s, double cores) {
        MetricsText m = metrics(s.path("metricsUrl").asText(null));
        Map<String, Double> syncSeconds = m.sumBy("weir_sync_duration_seconds_sum", "step");
        long syncCount = m.sumBy("weir_sync_duration_seconds_count", "step").values().stream()
                .mapToLong(Double::longValue).max().orElse(0);
        JsonNode ct = call(a, "ct.list", null);
        JsonNode f = s.path("flows");
        return new Facts.Agent(a.node(), true, s.path("syncError").isNull() ? null : s.path("syncError").asText(null),
                s.path("netns").asText(null), s.path("version").asText(null), s.path("pid").asLong(),
                s.path("startedAt").asText(null), f.path("kernelLost").asLong(), f.path("followerLost").asLong(),
                s.path("serviceLb").asText(""), cores, s.path("cpuSeconds").asDouble(-1), syncSeconds, syncCount,
                m.sumBy("weir_bpf_map_pressure", "map_name"), m.sumBy("weir_drop_count_total", "reason"),
                ct == null ? 0 : ct.path("entries").size(), ct == null ? 0 : ct.path("capacity").asInt(),
                pods(a), services(a), lbFrontends(a.node()), prefilter(a));
    }

    /** Every pod the agent knows; the entries of its own pods whose egress is enforced. */
    private static List<Facts.Pod> pods(AgentDirectory.Agent a) {
        List<Facts.Pod> out = new ArrayList<>();
        JsonNode list = call(a, "endpoint.list", Json.mapper().createObjectNode().put("all", true));
        for (JsonNode e : list == null ? Json.mapper().createArrayNode() : list) {
            boolean local = e.path("node").asText().equals(a.node());
            boolean egress = e.path("egressEnforced").asBoolean();
            List<Facts.Entry> entries = local && egress ? entries(a, e) : List.of();
            out.add(new Facts.Pod(e.path("namespace").asText() + "/" + e.path("name").asText(), e.path("node").asText(),
                    local, e.path("iface").asText(null), e.path("cgroup").asText(null), e.path("ipv4").asText(null),
                    e.path("ipv6").asText(null), egress, entries));
        }
        return out;
    }

    private static List<Facts.Entry> entries(AgentDirectory.Agent a, JsonNode endpoint) {
        ObjectNode p = Json.mapper().createObjectNode().put("namespace", endpoint.path("namespace").asText())
                .put("name", endpoint.path("name").asText());
        JsonNode got = call(a, "policy.get", p);
        List<Facts.Entry> out = new ArrayList<>();
        for (JsonNode e : got == null ? Json.mapper().createArrayNode() : got.path("entries")) {
            JsonNode pol = e.path("policy");
            out.add(new Facts.Entry(e.path("direction").asText(), e.path("peerIdentity").asInt(),
                    e.path("family").isNumber() ? e.path("family").asInt() : null,
                    e.path("protocol").isNumber() ? e.path("protocol").asInt() : null,
                    e.path("ports").isTextual() ? e.path("ports").asText() : null, e.path("action").asText(),
                    pol.isMissingNode() ? "" : pol.path("kind").asText() + " " + pol.path("namespace").asText() + "/"
                            + pol.path("name").asText() + " " + pol.path("path").asText()));
        }
        return out;
    }

    private static List<Facts.Service> services(AgentDirectory.Agent a) {
        JsonNode list = call(a, "service.list", null);
        List<Facts.Service> out = new ArrayList<>();
        for (JsonNode r : list == null ? Json.mapper().createArrayNode() : list.path("rows")) {
            List<String> backends = new ArrayList<>();
            r.path("backends").forEach(b -> backends.add(b.asText()));
            out.add(new Facts.Service(r.path("service").asText(), r.path("frontend").asText(), r.path("protocol").asText(),
                    backends));
        }
        return out;
    }

    private static List<String> lbFrontends(String node) {
        try {
            return LbListCommand.rows(node).stream().filter(r -> r.scope().equals("any")).map(LbListCommand.Row::frontend)
                    .toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static Facts.Prefilter prefilter(AgentDirectory.Agent a) {
        JsonNode p = call(a, "prefilter.status", null);
        if (p == null) {
            return Facts.Prefilter.NONE;
        }
        Map<String, String> attachments = new LinkedHashMap<>();
        p.path("attachments").properties().forEach(e -> attachments.put(e.getKey(), e.getValue().asText()));
        Map<String, Long> drops = new LinkedHashMap<>();
        for (JsonNode r : p.path("reasons")) {
            DropReason.find(r.path("code").asInt()).filter(DropReason::isDrop)
                    .ifPresent(d -> drops.merge(d.name(), r.path("packets").asLong(), Long::sum));
        }
        return new Facts.Prefilter(attachments, drops);
    }

    /** The agent's answer, or null when it refuses ({@code prefilter.status} without a prefilter) or fails. */
    private static JsonNode call(AgentDirectory.Agent a, String method, JsonNode params) {
        try {
            return a.call(method, params);
        } catch (ApiException e) {
            return null;
        }
    }

    /** One scrape: whether it answered 200, and the text (or why not). */
    record Scrape(boolean ok, String text) {
    }

    /** GETs the agent's metrics. */
    static Scrape scrape(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Scrape(r.statusCode() == 200, r.statusCode() == 200 ? r.body() : "HTTP " + r.statusCode() + "\n" + r.body());
        } catch (java.io.IOException | IllegalArgumentException e) {
            return new Scrape(false, "cannot scrape " + url + ": " + e + "\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Scrape(false, "interrupted\n");
        }
    }

    /** The agent's metrics, or none when it serves none or does not answer. */
    static MetricsText metrics(String url) {
        Scrape s = url == null || url.isBlank() ? new Scrape(false, "") : scrape(url);
        return s.ok() ? MetricsText.parse(s.text()) : new MetricsText(List.of());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
