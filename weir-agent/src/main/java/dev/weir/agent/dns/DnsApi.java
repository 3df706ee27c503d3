package dev.weir.agent.dns;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;

/**
 * DNS visibility in the agent's API (docs/policy-datapath.md): {@code dns.get} answers {@code {"visibility": B}},
 * whether the endpoint hooks copy DNS messages; {@code dns.set} with {@code {"visibility": B}} switches it and
 * answers the same. Thread-safe when the switch's owner is.
 */
public final class DnsApi {

    private final BooleanSupplier get;
    private final Consumer<Boolean> set;

    public DnsApi(BooleanSupplier get, Consumer<Boolean> set) {
        this.get = get;
        this.set = set;
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
        return ApiProtocol.mapper().createObjectNode().put("visibility", get.getAsBoolean());
    }
}
