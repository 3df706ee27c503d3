package dev.weir.lab.probe;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.weir.lab.LabException;

/** Sends one request line to an agent's Unix socket and returns its answer line. Stateless, thread-safe. */
public final class AgentClient {

    private AgentClient() {
    }

    /**
     * Sends the request and waits at most {@code timeout} for the answer.
     *
     * @throws LabException when the agent cannot be reached or does not answer in time
     */
    public static String request(Path socket, String request, Duration timeout) {
        SocketChannel[] channel = new SocketChannel[1];
        CompletableFuture<String> answer = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel[0] = ch;
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
                String line = in.readLine();
                answer.complete(line == null ? "" : line);
            } catch (IOException | RuntimeException e) {
                answer.completeExceptionally(e);
            }
        });
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            closeQuietly(channel[0]);
            throw new LabException("agent at " + socket + " did not answer '" + request + "' within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new LabException("agent at " + socket + " is not answering: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while asking agent at " + socket, e);
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            if (ch != null) {
                ch.close();
            }
        } catch (IOException ignored) {
            // already broken; nothing to report beyond the timeout
        }
    }
}
