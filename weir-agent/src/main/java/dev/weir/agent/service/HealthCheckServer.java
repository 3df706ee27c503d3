package dev.weir.agent.service;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Serves a node's {@code healthCheckNodePort}s over HTTP as kube-proxy does: any path, {@code 200} with the
 * local endpoint count while the Service has a ready endpoint on this node, {@code 503} without, the JSON of
 * {@link HealthCheck#json}. One listener per port on every address of the node ({@link Binder}); listeners
 * follow {@link #update}: new ports are opened, gone ones closed, counts change in place. Owned by the
 * node's datapath, closed with it. Thread-safe.
 */
public final class HealthCheckServer implements AutoCloseable {

    /** Opens an HTTP server on a port (in the node's network namespace: the socket stays there). */
    @FunctionalInterface
    public interface Binder {
        HttpServer bind(int port) throws IOException;

        /** Every address of the calling thread's network namespace, both families. */
        Binder ANY = port -> HttpServer.create(new InetSocketAddress(port), 16);
    }

    private final Map<Integer, HealthCheck> checks = new ConcurrentHashMap<>();
    private final Map<Integer, HttpServer> servers = new HashMap<>();
    private final Map<Integer, String> failed = new HashMap<>();
    private final Consumer<String> log;

    public HealthCheckServer(Consumer<String> log) {
        this.log = log;
    }

    /**
     * Serves {@code want} from now on. A port that cannot be bound (in use) is logged once and tried again at the
     * next update; the others are served regardless.
     */
    public synchronized void update(Map<Integer, HealthCheck> want, Binder binder) {
        checks.putAll(want);
        checks.keySet().retainAll(want.keySet());
        servers.entrySet().removeIf(e -> {
            if (want.containsKey(e.getKey())) {
                return false;
            }
            e.getValue().stop(0);
            return true;
        });
        failed.keySet().retainAll(want.keySet());
        for (HealthCheck c : want.values()) {
            if (!servers.containsKey(c.port())) {
                open(c, binder);
            }
        }
    }

    private void open(HealthCheck c, Binder binder) {
        try {
            HttpServer s = binder.bind(c.port());
            s.createContext("/", this::answer);
            s.setExecutor(null);
            s.start();
            servers.put(c.port(), s);
            failed.remove(c.port());
            log.accept("service health: " + c.service() + " on healthCheckNodePort " + c.port());
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            if (!why.equals(failed.put(c.port(), why))) {
                log.accept("service health: cannot serve healthCheckNodePort " + c.port() + " of " + c.service() + ": " + why);
            }
        }
    }

    private void answer(HttpExchange x) throws IOException {
        try (x) {
            HealthCheck c = checks.get(x.getLocalAddress().getPort());
            if (c == null) {
                x.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = c.json().getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "application/json");
            x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            x.getResponseHeaders().set("X-Load-Balancing-Endpoint-Weight", String.valueOf(c.localEndpoints()));
            x.sendResponseHeaders(c.status(), body.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The ports served now. */
    public synchronized java.util.Set<Integer> ports() {
        return java.util.Set.copyOf(servers.keySet());
    }

    @Override
    public synchronized void close() {
        servers.values().forEach(s -> s.stop(0));
        servers.clear();
        checks.clear();
    }
}
