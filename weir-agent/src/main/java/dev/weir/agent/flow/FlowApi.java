package dev.weir.agent.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.api.ApiStream;

/**
 * The flow methods of the agent's API (docs/agent.md): {@code flows.query} returns the last flows that
 * match, {@code flows.follow} streams new ones. Parameters use Hubble's filter names
 * ({@code verdict}, {@code from_pod}, {@code to_pod}, {@code pod}, {@code from_label}, {@code to_label},
 * {@code namespace}, {@code port}, {@code protocol}, {@code service}, {@code fqdn}: lists; {@code since}: ISO-8601; {@code last}: a
 * number). Stateless over the history it was given.
 */
public final class FlowApi {

    private final FlowHistory history;

    public FlowApi(FlowHistory history) {
        this.history = history;
    }

    public Map<String, ApiHandler> handlers() {
        return Map.of("flows.query", this::query);
    }

    public Map<String, ApiStream> streams() {
        return Map.of("flows.follow", this::follow);
    }

    private JsonNode query(JsonNode params) {
        FlowFilter filter = filter(params);
        ObjectNode result = ApiProtocol.mapper().createObjectNode();
        ArrayNode flows = result.putArray("flows");
        history.query(filter, params.path("last").asInt(0)).forEach(f -> flows.add(HubbleJson.render(f)));
        result.set("counters", ApiProtocol.mapper().valueToTree(history.counters()));
        return result;
    }

    private void follow(JsonNode params, ApiStream.Emitter out) throws Exception {
        FlowFilter filter = filter(params);
        try (FlowHistory.Follower follower = history.follow(filter)) {
            long reportedLost = 0;
            while (!Thread.currentThread().isInterrupted()) {
                FlowRecord f = follower.next(1000);
                if (f == null) {
                    out.heartbeat();
                } else {
                    ObjectNode e = ApiProtocol.mapper().createObjectNode();
                    e.set("flow", HubbleJson.render(f));
                    out.emit(e);
                }
                long lost = follower.lost();
                if (lost > reportedLost) {
                    ObjectNode e = ApiProtocol.mapper().createObjectNode();
                    e.put("lost_events", lost - reportedLost);
                    out.emit(e);
                    reportedLost = lost;
                }
            }
        } catch (IllegalStateException stopped) {
            // the history stopped with the agent
        }
    }

    /** Reads a filter from request parameters. */
    public static FlowFilter filter(JsonNode p) {
        List<Integer> ports = new ArrayList<>();
        p.path("port").forEach(n -> ports.add(n.asInt()));
        String since = p.path("since").asText("");
        return new FlowFilter(strings(p, "verdict"), strings(p, "from_pod"), strings(p, "to_pod"), strings(p, "pod"),
                strings(p, "from_label"), strings(p, "to_label"), strings(p, "namespace"), ports,
                strings(p, "protocol"), since.isEmpty() ? null : java.time.Instant.parse(since), strings(p, "service"),
                strings(p, "fqdn").stream().map(dev.weir.agent.dns.DnsPattern::parse).toList());
    }

    private static List<String> strings(JsonNode p, String field) {
        List<String> out = new ArrayList<>();
        p.path(field).forEach(n -> out.add(n.asText()));
        return out;
    }
}
