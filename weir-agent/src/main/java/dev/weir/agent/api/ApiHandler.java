package dev.weir.agent.api;

import com.fasterxml.jackson.databind.JsonNode;

/** One request/response method of the API. Implementations are thread-safe (connections are concurrent). */
@FunctionalInterface
public interface ApiHandler {

    /**
     * Answers a request.
     *
     * @throws ApiException with the code the client should see; any other exception is {@code internal}
     */
    JsonNode handle(JsonNode params) throws Exception;
}
