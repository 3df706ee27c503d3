package dev.weir.agent.api;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.runtime.Component;

/**
 * Serves the API ({@link ApiProtocol}) on a Unix socket, mode 0600 in a directory of mode 0700: only root
 * (the socket's owner) can talk to the agent, and nothing listens on a network address. One platform
 * thread accepts; each connection gets a virtual thread.
 *
 * <p>Lifetime: {@link #start} binds (refusing when another live process serves the socket, removing a
 * stale one), {@link #stop} closes the listener and every connection and removes the socket file.
 * Thread-safe.
 */
public final class ApiServer implements Component {

    /** @param socket the socket's path, e.g. {@code /run/weir/node1/api.sock} */
    public record Config(Path socket) {
    }

    private final Config config;
    private final Map<String, ApiHandler> handlers;
    private final Map<String, ApiStream> streams;
    private final Consumer<String> log;
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
    private volatile ServerSocketChannel server;
    private Thread acceptor;

    public ApiServer(Config config, Map<String, ApiHandler> handlers, Map<String, ApiStream> streams,
                     Consumer<String> log) {
        this.config = config;
        this.handlers = Map.copyOf(handlers);
        this.streams = Map.copyOf(streams);
        this.log = log;
    }

    @Override
    public String name() {
        return "api-server(" + config.socket() + ")";
    }

    @Override
    public void start() throws IOException {
        Path socket = config.socket();
        Path dir = socket.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException("another process serves " + socket);
            }
            Files.delete(socket);
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        server = ch;
        acceptor = Thread.ofPlatform().name("weir-api-accept").daemon(true).start(this::acceptLoop);
    }

    @Override
    public void stop() {
        ServerSocketChannel ch = server;
        server = null;
        if (ch == null) {
            return;
        }
        closeQuietly(ch);
        for (SocketChannel c : connections) {
            closeQuietly(c);
        }
        workers.forEach(Thread::interrupt);
        try {
            if (acceptor != null) {
                acceptor.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(config.socket());
        } catch (IOException e) {
            log.accept("cannot remove " + config.socket() + ": " + e);
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (server != null) {
            try {
                SocketChannel c = server.accept();
                connections.add(c);
                Thread.ofVirtual().name("weir-api-conn").start(() -> serve(c));
            } catch (IOException | RuntimeException e) {
                if (server != null) {
                    log.accept("api accept failed: " + e);
                }
                return;
            }
        }
    }

    private void serve(SocketChannel c) {
        Thread self = Thread.currentThread();
        workers.add(self);
        try (c; InputStreamReader reader = new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8);
             OutputStream out = Channels.newOutputStream(c)) {
            Lines in = new Lines(reader);
            String line;
            while ((line = in.next()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                if (!answer(line, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            connections.remove(c);
            workers.remove(self);
        }
    }

    /** Answers one request; false when the connection is done (after a stream). */
    private boolean answer(String line, OutputStream out) throws IOException {
        JsonNode request;
        try {
            request = ApiProtocol.MAPPER.readTree(line);
        } catch (IOException e) {
            write(out, ApiProtocol.error(ApiException.BAD_REQUEST, "not JSON: " + e.getMessage()));
            return true;
        }
        String method = request.path("method").asText("");
        JsonNode params = request.path("params");
        ApiStream stream = streams.get(method);
        if (stream != null) {
            runStream(stream, params, out);
            return false;
        }
        ApiHandler h = handlers.get(method);
        if (h == null) {
            write(out, ApiProtocol.error(ApiException.BAD_REQUEST, "unknown method '" + method + "'"));
            return true;
        }
        try {
            write(out, ApiProtocol.ok(h.handle(params)));
        } catch (ApiException e) {
            write(out, ApiProtocol.error(e.code(), e.getMessage()));
        } catch (IllegalArgumentException e) {
            write(out, ApiProtocol.error(ApiException.INVALID, e.getMessage()));
        } catch (Exception e) {
            log.accept("api " + method + " failed: " + e);
            write(out, ApiProtocol.error(ApiException.INTERNAL, String.valueOf(e.getMessage())));
        }
        return true;
    }

    private void runStream(ApiStream stream, JsonNode params, OutputStream out) throws IOException {
        ApiStream.Emitter emitter = new ApiStream.Emitter() {
            @Override
            public void emit(JsonNode event) throws IOException {
                write(out, ApiProtocol.event(event));
            }

            @Override
            public void heartbeat() throws IOException {
                write(out, ApiProtocol.heartbeat());
            }
        };
        try {
            stream.stream(params, emitter);
        } catch (IOException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ApiException e) {
            write(out, ApiProtocol.error(e.code(), e.getMessage()));
        } catch (IllegalArgumentException e) {
            write(out, ApiProtocol.error(ApiException.INVALID, e.getMessage()));
        } catch (Exception e) {
            write(out, ApiProtocol.error(ApiException.INTERNAL, String.valueOf(e.getMessage())));
        }
    }

    /**
     * The request lines of one connection, read a block at a time (a 10 MB apply read a character at a time took
     * some 100 ms); a line longer than {@link ApiProtocol#MAX_LINE} characters fails the connection.
     */
    static final class Lines {
        private final java.io.Reader in;
        private final char[] buf = new char[64 << 10];
        private int pos;
        private int end;

        Lines(java.io.Reader in) {
            this.in = in;
        }

        /** The next line without its newline; at the end of the stream, what is left, or null when nothing is. */
        String next() throws IOException {
            StringBuilder sb = null;
            while (true) {
                if (pos == end) {
                    int n = in.read(buf, 0, buf.length);
                    pos = 0;
                    end = Math.max(n, 0);
                    if (n < 0) {
                        return sb == null || sb.isEmpty() ? null : sb.toString();
                    }
                }
                int nl = pos;
                while (nl < end && buf[nl] != '\n') {
                    nl++;
                }
                if ((sb == null ? 0 : sb.length()) + (nl - pos) > ApiProtocol.MAX_LINE) {
                    throw new IOException("request line longer than " + ApiProtocol.MAX_LINE + " bytes");
                }
                if (nl < end) {
                    String line = sb == null ? new String(buf, pos, nl - pos) : sb.append(buf, pos, nl - pos).toString();
                    pos = nl + 1;
                    return line;
                }
                if (sb == null) {
                    sb = new StringBuilder(2 * (end - pos) + 16);
                }
                sb.append(buf, pos, end - pos);
                pos = end;
            }
        }
    }

    private static void write(OutputStream out, JsonNode message) throws IOException {
        synchronized (out) {
            out.write(ApiProtocol.MAPPER.writeValueAsBytes(message));
            out.write('\n');
            out.flush();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
