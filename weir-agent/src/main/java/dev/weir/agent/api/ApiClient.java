package dev.weir.agent.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Talks to one agent over its socket: one request per call, on a fresh connection. A watchdog closes the
 * connection when the deadline passes, so a hung agent cannot hang the CLI. Failures throw
 * {@link ApiException}: {@code unavailable} when nothing answers, the agent's own code otherwise.
 * Stateless apart from the path; thread-safe.
 */
public final class ApiClient {

    private final Path socket;

    public ApiClient(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    /** Calls a method and returns its result. */
    public JsonNode call(String method, JsonNode params, Duration timeout) {
        Watchdog w = null;
        try (SocketChannel c = connect()) {
            w = new Watchdog(c, timeout);
            OutputStream out = Channels.newOutputStream(c);
            send(out, method, params);
            String line = reader(c).readLine();
            if (line == null) {
                throw new IOException("the agent closed the connection");
            }
            return unwrap(ApiProtocol.MAPPER.readTree(line));
        } catch (IOException e) {
            String why = w != null && w.fired() ? "no answer in " + timeout.toMillis() + " ms" : String.valueOf(e.getMessage());
            throw new ApiException(ApiException.UNAVAILABLE, "cannot talk to the agent at " + socket + ": " + why, e);
        } finally {
            if (w != null) {
                w.close();
            }
        }
    }

    /**
     * Calls a stream method and hands each event to {@code onEvent} until it returns false, the agent ends
     * the stream, or the thread is interrupted.
     */
    public void stream(String method, JsonNode params, Predicate<JsonNode> onEvent) {
        try (SocketChannel c = connect()) {
            send(Channels.newOutputStream(c), method, params);
            BufferedReader in = reader(c);
            String line;
            while ((line = in.readLine()) != null) {
                JsonNode m = ApiProtocol.MAPPER.readTree(line);
                if (m.has("heartbeat")) {
                    continue;
                }
                if (m.has("ok")) {
                    unwrap(m);
                    return;
                }
                if (!onEvent.test(m.path("event"))) {
                    return;
                }
            }
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            throw new ApiException(ApiException.UNAVAILABLE, "cannot talk to the agent at " + socket + ": " + e.getMessage(), e);
        }
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.connect(UnixDomainSocketAddress.of(socket));
            return c;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    private static void send(OutputStream out, String method, JsonNode params) throws IOException {
        out.write(ApiProtocol.MAPPER.writeValueAsBytes(ApiProtocol.request(method, params)));
        out.write('\n');
        out.flush();
    }

    private static BufferedReader reader(SocketChannel c) {
        return new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
    }

    private JsonNode unwrap(JsonNode response) {
        if (response.path("ok").asBoolean(false)) {
            return response.path("result");
        }
        JsonNode e = response.path("error");
        throw new ApiException(e.path("code").asText(ApiException.INTERNAL), e.path("message").asText("unknown error"));
    }

    /** Closes the channel when the deadline passes. */
    private static final class Watchdog implements AutoCloseable {
        private final Thread thread;
        private volatile boolean fired;

        Watchdog(SocketChannel c, Duration timeout) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(timeout);
                    fired = true;
                    c.close();
                } catch (InterruptedException | IOException e) {
                    // done in time
                }
            });
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }
}
