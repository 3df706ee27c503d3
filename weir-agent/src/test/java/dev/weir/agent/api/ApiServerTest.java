package dev.weir.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiServerTest {

    @TempDir
    Path dir;
    private Path socket;
    private ApiServer server;

    @BeforeEach
    void start() throws Exception {
        socket = dir.resolve("run").resolve("api.sock");
        Map<String, ApiHandler> handlers = Map.of(
                "echo", p -> p,
                "bad", p -> {
                    throw new ApiException(ApiException.INVALID, "x.yaml: NetworkPolicy x/a: spec: missing");
                },
                "boom", p -> {
                    throw new IllegalStateException("kaput");
                },
                "slow", p -> {
                    Thread.sleep(2000);
                    return p;
                });
        Map<String, ApiStream> streams = Map.of("count", (p, out) -> {
            for (int i = 0; i < p.path("n").asInt(); i++) {
                out.emit(ApiProtocol.mapper().createObjectNode().put("i", i));
            }
            out.heartbeat();
        });
        server = new ApiServer(new ApiServer.Config(socket), handlers, streams, m -> { });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void socketIsPrivate() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent()))).isEqualTo("rwx------");
    }

    @Test
    void requestsAndErrorsTravelAsOneJsonLineEach() throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            OutputStream out = Channels.newOutputStream(c);
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
            out.write("{\"method\":\"echo\",\"params\":{\"a\":1}}\nnot json\n{\"method\":\"nope\"}\n{\"method\":\"bad\"}\n{\"method\":\"boom\"}\n"
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).isEqualTo("{\"ok\":true,\"result\":{\"a\":1}}");
            assertThat(in.readLine()).startsWith("{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"not JSON");
            assertThat(in.readLine()).isEqualTo("{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"unknown method 'nope'\"}}");
            assertThat(in.readLine()).isEqualTo("{\"ok\":false,\"error\":{\"code\":\"invalid\",\"message\":\"x.yaml: NetworkPolicy x/a: spec: missing\"}}");
            assertThat(in.readLine()).isEqualTo("{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"kaput\"}}");
        }
    }

    @Test
    void clientMapsAnswersAndErrors() {
        ApiClient client = new ApiClient(socket);
        ObjectNode p = ApiProtocol.mapper().createObjectNode().put("x", "y");
        assertThat(client.call("echo", p, Duration.ofSeconds(2))).isEqualTo(p);
        assertThatThrownBy(() -> client.call("bad", null, Duration.ofSeconds(2)))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).isUserError()).isTrue());
        assertThatThrownBy(() -> client.call("slow", null, Duration.ofMillis(200)))
                .isInstanceOf(ApiException.class).hasMessageContaining("no answer in 200 ms");
        assertThatThrownBy(() -> new ApiClient(dir.resolve("none.sock")).call("echo", null, Duration.ofSeconds(1)))
                .isInstanceOf(ApiException.class).satisfies(e -> assertThat(((ApiException) e).code()).isEqualTo(ApiException.UNAVAILABLE));
    }

    @Test
    void streamsDeliverEventsAndSkipHeartbeats() {
        List<Integer> seen = new ArrayList<>();
        new ApiClient(socket).stream("count", ApiProtocol.mapper().createObjectNode().put("n", 3), e -> {
            seen.add(e.path("i").asInt());
            return true;
        });
        assertThat(seen).containsExactly(0, 1, 2);
    }

    @Test
    void aSecondServerIsRefusedAndStopRemovesTheSocket() throws Exception {
        ApiServer other = new ApiServer(new ApiServer.Config(socket), Map.of(), Map.of(), m -> { });
        assertThatThrownBy(other::start).hasMessageContaining("another process serves");
        server.stop();
        assertThat(socket).doesNotExist();
        Files.createFile(socket); // a stale socket file left by a killed agent
        ApiServer again = new ApiServer(new ApiServer.Config(socket), Map.of("echo", p -> p), Map.of(), m -> { });
        again.start();
        try {
            JsonNode r = new ApiClient(socket).call("echo", null, Duration.ofSeconds(2));
            assertThat(r.isObject()).isTrue();
        } finally {
            again.stop();
        }
    }

    /** Lines split across the reader's blocks come whole; the last one needs no newline; an overlong one fails. */
    @Test
    void requestLinesAreReadWholeAcrossBlocks() throws Exception {
        String big = "x".repeat(200_000);
        java.io.Reader dribble = new java.io.StringReader("{\"a\":1}\n\n" + big + "\n\u00e9t\u00e9\nlast") {
            @Override
            public int read(char[] cbuf, int off, int len) throws java.io.IOException {
                return super.read(cbuf, off, Math.min(len, 7)); // a few characters at a time
            }
        };
        ApiServer.Lines lines = new ApiServer.Lines(dribble);
        assertThat(lines.next()).isEqualTo("{\"a\":1}");
        assertThat(lines.next()).isEmpty();
        assertThat(lines.next()).isEqualTo(big);
        assertThat(lines.next()).isEqualTo("\u00e9t\u00e9");
        assertThat(lines.next()).isEqualTo("last");
        assertThat(lines.next()).isNull();

        ApiServer.Lines tooLong = new ApiServer.Lines(new java.io.StringReader("y".repeat(ApiProtocol.MAX_LINE + 1) + "\n"));
        assertThatThrownBy(tooLong::next).hasMessageContaining("request line longer than");
        assertThat(new ApiServer.Lines(new java.io.StringReader("y".repeat(ApiProtocol.MAX_LINE) + "\n")).next())
                .hasSize(ApiProtocol.MAX_LINE);
    }
}
