package dev.weir.agent.dns;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;

/**
 * DNS visibility in the agent's API (docs/policy-datapath.md): {@code dns.get} answers
 * {@code {"visibility": B, "messages": N, "lost": N}}, whether the endpoint hooks copy DNS messages, how many
 * they copied and how many a full ring buffer lost (since the node's maps were made); {@code dns.set} with
 * {@code {"visibility": B}} switches it and answers the same. Thread-safe when the switch's owner is.
 */
public final class DnsApi {

    private final BooleanSupplier get;
    private final Consumer<Boolean> set;
    private final Supplier<long[]> counts;

    /** @param counts messages copied ({@code [0]}) and lost ({@code [1]}) */
    public DnsApi(BooleanSupplier get, Consumer<Boolean> set, Supplier<long[]> counts) {
        this.get = get;
        this.set = set;
        this.counts = counts;
    }

    public Map<String, ApiHandler> handlers() {
        return Map.of("dns.get", p -> answer(), "dns.set", this::set);
    }

    private JsonNode set(JsonNode p) {
        JsonNode v = p.path("visibility");
        if (!v.isBoolean()) {
            throw new ApiException(ApiException.INVALID, "dns.set: visibility must be true or false, got " + v);
        }
        set.accept(v.asBoolean());
        return answer();
    }

    private ObjectNode answer() {
        long[] n = counts.get();
        return ApiProtocol.mapper().createObjectNode().put("visibility", get.getAsBoolean()).put("messages", n[0])
                .put("lost", n[1]);
    }
}
