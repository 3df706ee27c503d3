package dev.weir.agent.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The agent's local API on its Unix socket: newline-delimited JSON, one object per line (docs/agent.md).
 *
 * <pre>
 * request:   {"method": "status", "params": {...}}
 * response:  {"ok": true, "result": ...}
 *            {"ok": false, "error": {"code": "invalid", "message": "..."}}
 * stream:    {"event": ...} lines (and {"heartbeat": true} while idle) until the client closes
 * </pre>
 *
 * A connection carries any number of requests in turn; a stream method takes the connection over until
 * either side closes it. Stateless.
 */
public final class ApiProtocol {

    /** Longest accepted request line (policies travel in {@code apply}). */
    public static final int MAX_LINE = 16 << 20;

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ApiProtocol() {
    }

    /** The mapper the API uses (records as objects; API results carry times as ISO-8601 text). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    static ObjectNode request(String method, JsonNode params) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("method", method);
        r.set("params", params == null ? MAPPER.createObjectNode() : params);
        return r;
    }

    static ObjectNode ok(JsonNode result) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("ok", true);
        r.set("result", result);
        return r;
    }

    static ObjectNode error(String code, String message) {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("ok", false);
        ObjectNode e = r.putObject("error");
        e.put("code", code);
        e.put("message", message);
        return r;
    }

    static ObjectNode event(JsonNode event) {
        ObjectNode r = MAPPER.createObjectNode();
        r.set("event", event);
        return r;
    }

    static ObjectNode heartbeat() {
        ObjectNode r = MAPPER.createObjectNode();
        r.put("heartbeat", true);
        return r;
    }
}
