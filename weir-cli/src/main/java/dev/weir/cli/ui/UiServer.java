package dev.weir.cli.ui;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.weir.cli.agent.AgentFlows;

/**
 * {@code weir ui}'s web server (the JDK's {@code com.sun.net.httpserver}, one virtual thread per request): the page
 * (HTML, CSS and JavaScript from this package's resources; nothing is fetched from anywhere else, and the
 * Content-Security-Policy says so) and its JSON, read afresh from the {@link UiSource} for every request:
 *
 * <ul>
 *   <li>{@code GET /api/flows?FILTERS} — {@code {flows: [Hubble flow JSON, newest last], counters: {node: ...},
 *       errors: [{node, message}]}}</li>
 *   <li>{@code GET /api/map?FILTERS} — the {@link ServiceMap} of the same flows</li>
 *   <li>{@code GET /api/edge?id=EDGE&FILTERS} — {@code {edge: Edge or null, flows: [...]}}: the edge's flows</li>
 *   <li>{@code GET /api/status} — {@code weir status -o json}</li>
 * </ul>
 *
 * <p>Filters are {@link FlowParams}'. Bad parameters answer 400, a source that cannot be read at all 502, each with
 * {@code {error}}. Owns the listening socket and its threads until {@link #close()}.
 */
public final class UiServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCES = "/dev/weir/cli/ui/";
    private static final Map<String, String[]> PAGES = Map.of(
            "/", new String[] {"index.html", "text/html; charset=utf-8"},
            "/ui.js", new String[] {"ui.js", "text/javascript; charset=utf-8"},
            "/ui.css", new String[] {"ui.css", "text/css; charset=utf-8"});

    private final HttpServer http;
    private final ExecutorService threads;
    private final UiSource source;
    private final AtomicBoolean closed = new AtomicBoolean();

    private UiServer(HttpServer http, ExecutorService threads, UiSource source) {
        this.http = http;
        this.threads = threads;
        this.source = source;
    }

    /**
     * Binds {@code at} and starts serving.
     *
     * @throws java.net.BindException when the address is in use or not this host's
     * @throws IOException            when the server cannot be created otherwise
     */
    public static UiServer start(ListenAddress at, UiSource source) throws IOException {
        HttpServer http = HttpServer.create(at.socketAddress(), 0);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        UiServer server = new UiServer(http, threads, source);
        http.setExecutor(threads);
        http.createContext("/", server::handle);
        http.start();
        return server;
    }

    /** The address bound (the port chosen when 0 was asked). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** {@code http://HOST:PORT/}. */
    public String url() {
        String host = address().getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address().getPort() + "/";
    }

    /** Stops listening and ends the request threads; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            http.stop(0);
            threads.shutdownNow();
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            if (!x.getRequestMethod().equals("GET")) {
                x.getResponseHeaders().set("Allow", "GET");
                sendJson(x, 405, error("only GET is served"));
                return;
            }
            String path = x.getRequestURI().getPath();
            String[] page = PAGES.get(path);
            if (page != null) {
                sendResource(x, page[0], page[1]);
            } else if (path.startsWith("/api/")) {
                api(x, path.substring("/api/".length()));
            } else {
                sendJson(x, 404, error("no such page: " + path));
            }
        }
    }

    private void api(HttpExchange x, String what) throws IOException {
        int status = 200;
        JsonNode body;
        try {
            FlowParams p = FlowParams.parse(x.getRequestURI().getRawQuery());
            body = switch (what) {
                case "flows" -> flows(source.flows(p.params(), p.last()));
                case "map" -> JSON.valueToTree(ServiceMap.of(source.flows(p.params(), p.last()).flows()));
                case "edge" -> edge(p);
                case "status" -> source.status();
                default -> null;
            };
            if (body == null) {
                status = 404;
                body = error("no such API: /api/" + what + " (flows, map, edge, status)");
            }
        } catch (IllegalArgumentException e) {
            status = 400;
            body = error(e.getMessage());
        } catch (RuntimeException e) {
            status = 502;
            body = error(String.valueOf(e.getMessage()));
        }
        sendJson(x, status, body);
    }

    private static ObjectNode flows(AgentFlows answer) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode flows = o.putArray("flows");
        answer.flows().forEach(flows::add);
        ObjectNode counters = o.putObject("counters");
        answer.counters().forEach(counters::set);
        ArrayNode errors = o.putArray("errors");
        answer.failures().forEach((node, e) -> errors.addObject().put("node", node).put("message", e.getMessage()));
        return o;
    }

    private ObjectNode edge(FlowParams p) {
        if (p.id() == null) {
            throw new IllegalArgumentException("/api/edge needs id=EDGE (an edge's id from /api/map)");
        }
        List<JsonNode> flows = source.flows(p.params(), p.last()).flows();
        ObjectNode o = JSON.createObjectNode();
        o.set("edge", ServiceMap.of(flows).edges().stream().filter(e -> e.id().equals(p.id())).findFirst()
                .map(e -> (JsonNode) JSON.valueToTree(e)).orElse(JSON.nullNode()));
        ArrayNode out = o.putArray("flows");
        flows.stream().filter(f -> ServiceMap.edgeIds(f).contains(p.id())).forEach(out::add);
        return o;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void sendJson(HttpExchange x, int status, JsonNode body) throws IOException {
        send(x, status, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void sendResource(HttpExchange x, String name, String type) throws IOException {
        try (InputStream in = UiServer.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                sendJson(x, 500, error("the jar lacks " + RESOURCES + name));
                return;
            }
            send(x, 200, type, in.readAllBytes());
        }
    }

    private static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        var h = x.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }
}
