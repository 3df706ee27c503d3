package dev.weir.lab.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The agent's Unix socket ({@link AgentProtocol}): each connection is handled on its own virtual thread,
 * so many probes run at once. Owns the socket file and deletes it on {@link #close}.
 */
final class ControlSocket implements AutoCloseable {

    private final String id;
    private final Path path;
    private final ServerSocketChannel server;

    ControlSocket(String id, Path path) throws IOException {
        this.id = id;
        this.path = path;
        Files.deleteIfExists(path);
        Files.createDirectories(path.getParent());
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path), 1024);
    }

    void serve() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Thread.ofVirtual().start(() -> handle(ch));
            } catch (IOException e) {
                if (server.isOpen()) {
                    PodAgent.log("control accept: " + e);
                }
            }
        }
    }

    private void handle(SocketChannel ch) {
        try (ch) {
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            String request = in.readLine();
            String answer = request == null ? AgentProtocol.FAIL + " error: empty request" : answer(request.strip());
            ch.write(ByteBuffer.wrap((answer + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            PodAgent.log("control connection: " + e);
        }
    }

    private String answer(String request) {
        String[] f = request.split(" ");
        if (f[0].equals(AgentProtocol.PING)) {
            return AgentProtocol.PONG + " " + id + " " + ProcessHandle.current().pid();
        }
        if (f[0].equals(AgentProtocol.PROBE) && f.length == 5) {
            return Prober.probe(f[1], f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]));
        }
        return AgentProtocol.FAIL + " error: bad request '" + request + "'";
    }

    @Override
    public void close() {
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            PodAgent.log("closing control socket: " + e);
        }
    }
}
