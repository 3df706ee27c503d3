package dev.weir.agent.api;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;

/** One streaming method of the API (e.g. following flows). Thread-safe. */
@FunctionalInterface
public interface ApiStream {

    /** Where a stream writes; {@link #emit} throws {@link IOException} once the client has gone. */
    interface Emitter {
        void emit(JsonNode event) throws IOException;

        /** Tells the client the stream is alive while nothing happens; fails when the client has gone. */
        void heartbeat() throws IOException;
    }

    /**
     * Streams events until done, the client goes (an {@link IOException} from the emitter) or the thread is
     * interrupted (the server stops).
     */
    void stream(JsonNode params, Emitter out) throws Exception;
}
