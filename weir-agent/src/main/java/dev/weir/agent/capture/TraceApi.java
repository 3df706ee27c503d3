package dev.weir.agent.capture;

import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;

/**
 * Trace sampling of the agent's API (docs/capture.md): {@code trace.get} answers {@code {"every": N}}, the rate
 * in force (1 in N forwarded packets per CPU become TRACED flows; 0 off); {@code trace.set} with
 * {@code {"every": N}} sets it and answers the same. Thread-safe when the rate's owner is.
 */
public final class TraceApi {

    /** The sparsest rate accepted: one in a billion. */
    public static final int MAX_EVERY = 1_000_000_000;

    private final IntSupplier get;
    private final IntConsumer set;

    public TraceApi(IntSupplier get, IntConsumer set) {
        this.get = get;
        this.set = set;
    }

    public Map<String, ApiHandler> handlers() {
        return Map.of("trace.get", p -> answer(), "trace.set", this::set);
    }

    private JsonNode set(JsonNode p) {
        JsonNode every = p.path("every");
        if (!every.canConvertToInt() || every.asInt() < 0 || every.asInt() > MAX_EVERY) {
            throw new ApiException(ApiException.INVALID, "trace.set: every must be a number of packets, 0 (off) to "
                    + MAX_EVERY + ", got " + every);
        }
        set.accept(every.asInt());
        return answer();
    }

    private ObjectNode answer() {
        return ApiProtocol.mapper().createObjectNode().put("every", get.getAsInt());
    }
}
