package dev.weir.agent.cni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.runtime.Component;

/**
 * The socket weir-cni's relay talks to ({@code <run-dir>/cni.sock}, mode 0600), one command per connection:
 * the relay sends {@code NAME=VALUE} lines of its {@code CNI_*} environment, an empty line and the network
 * configuration until it shuts its side down; the server answers the plugin's exit code on a line, then what
 * the plugin prints (the result, or the spec's error JSON). Each connection is served on a virtual thread.
 *
 * <p>Lifetime: {@link #start} binds (replacing a stale socket: the API server, started first, has made sure no
 * other agent runs for this node) and accepts; {@link #stop} closes and removes the socket.
 */
public final class CniServer implements Component {

    /** Longest network configuration accepted. */
    static final int MAX_REQUEST = 1 << 20;

    private final Path socket;
    private final CniService service;
    private final Consumer<String> log;
    private volatile ServerSocketChannel server;

    public CniServer(Path socket, CniService service, Consumer<String> log) {
        this.socket = socket;
        this.service = service;
        this.log = log;
    }

    @Override
    public String name() {
        return "cni-server(" + socket + ")";
    }

    @Override
    public void start() throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        server = ch;
        Thread.ofPlatform().name("weir-cni-accept").daemon(true).start(this::acceptLoop);
    }

    @Override
    public void stop() {
        ServerSocketChannel ch = server;
        server = null;
        if (ch == null) {
            return;
        }
        try {
            ch.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.accept("cannot remove " + socket + ": " + e);
        }
    }

    private void acceptLoop() {
        while (server != null) {
            try {
                SocketChannel c = server.accept();
                Thread.ofVirtual().name("weir-cni-conn").start(() -> serve(c));
            } catch (IOException | RuntimeException e) {
                if (server != null) {
                    log.accept("cni accept failed: " + e);
                }
                return;
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c; InputStream in = Channels.newInputStream(c); OutputStream out = Channels.newOutputStream(c)) {
            int exit;
            String stdout;
            try {
                Map<String, String> env = new LinkedHashMap<>();
                String line;
                while (!(line = readLine(in)).isEmpty()) {
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                        env.put(line.substring(0, eq), line.substring(eq + 1));
                    }
                }
                byte[] config = in.readNBytes(MAX_REQUEST + 1);
                if (config.length > MAX_REQUEST) {
                    throw new CniException(CniException.INVALID_CONFIG, "the network configuration is larger than "
                            + MAX_REQUEST + " bytes", "");
                }
                stdout = service.handle(CniRequest.parse(env, config));
                exit = 0;
            } catch (CniException e) {
                stdout = error(e);
                exit = 1;
            } catch (RuntimeException e) {
                log.accept("cni: command failed: " + e);
                stdout = error(new CniException(CniException.TRY_AGAIN_LATER, "the weir agent failed: " + e, ""));
                exit = 1;
            }
            out.write((exit + "\n" + stdout + (stdout.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.accept("cni: lost the plugin's connection: " + e);
        }
    }

    /** The spec's error result. */
    static String error(CniException e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("cniVersion", "1.0.0");
        o.put("code", e.code());
        o.put("msg", e.getMessage());
        if (!e.details().isEmpty()) {
            o.put("details", e.details());
        }
        return o.toString();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (line.size() > 65536) {
                throw new CniException(CniException.INVALID_ENVIRONMENT, "an environment variable is too long", "");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
