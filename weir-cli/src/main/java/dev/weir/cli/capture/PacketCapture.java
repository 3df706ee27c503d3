package dev.weir.cli.capture;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.cli.agent.AgentDirectory;

/**
 * One {@code weir capture}: streams {@code capture.packets} from each agent into one pcapng file until a limit
 * is reached (duration, packet count, file size), {@link #stop} is called, or every agent has ended its
 * stream. Each packet's comment records the node, hook, verdict, reason and the flow's pods. {@link #run}
 * is called once; {@link #stop} and the counters from any thread.
 */
public final class PacketCapture {

    /**
     * @param duration how long to capture (null: no limit)
     * @param count    packets to write at most (0: no limit)
     * @param maxBytes file size at most; a packet that would pass it is not written and ends the capture
     */
    public record Limits(Duration duration, long count, long maxBytes) {
    }

    /** What a run did: packets written, file size, packets the kernel lost, agents that failed (by node). */
    public record Result(long packets, long bytes, long lost, String stoppedBy, Map<String, ApiException> failures) {
    }

    private final List<AgentDirectory.Agent> agents;
    private final ObjectNode params;
    private final Limits limits;
    private final Path file;
    private final CountDownLatch done = new CountDownLatch(1);
    private final Map<String, ApiException> failures = new ConcurrentHashMap<>();
    private volatile String stoppedBy;
    private long packets;
    private long lost;
    private Pcapng out;

    public PacketCapture(List<AgentDirectory.Agent> agents, ObjectNode params, Limits limits, Path file) {
        this.agents = List.copyOf(agents);
        this.params = params;
        this.limits = limits;
        this.file = file;
    }

    /**
     * Captures until a limit or {@link #stop}; {@code onStarted} runs once every agent has switched capture on
     * (or failed to).
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    public Result run(Runnable onStarted) throws InterruptedException {
        try (Pcapng w = new Pcapng(new BufferedOutputStream(Files.newOutputStream(file)), "weir capture")) {
            synchronized (this) {
                out = w;
            }
            CountDownLatch started = new CountDownLatch(agents.size());
            List<Thread> threads = new ArrayList<>();
            for (AgentDirectory.Agent a : agents) {
                threads.add(Thread.ofPlatform().daemon(true).name("capture-" + a.node()).start(() -> stream(a, started)));
            }
            Thread ender = Thread.ofVirtual().start(() -> {
                for (Thread t : threads) {
                    joinQuietly(t);
                }
                stop("every agent ended its capture");
            });
            started.await();
            onStarted.run();
            boolean limited = limits.duration() == null ? awaitDone()
                    : done.await(limits.duration().toMillis(), TimeUnit.MILLISECONDS);
            if (!limited) {
                stop("--duration " + limits.duration().toSeconds() + "s passed");
            }
            threads.forEach(Thread::interrupt);
            for (Thread t : threads) {
                t.join();
            }
            ender.join();
            synchronized (this) {
                out = null;
                return new Result(packets, w.size(), lost, stoppedBy, Map.copyOf(failures));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private boolean awaitDone() throws InterruptedException {
        done.await();
        return true;
    }

    /** Ends the capture (idempotent); {@code why} is what the result reports. */
    public void stop(String why) {
        if (stoppedBy == null) {
            stoppedBy = why;
        }
        done.countDown();
    }

    /** Packets written so far. */
    public synchronized long packets() {
        return packets;
    }

    private void stream(AgentDirectory.Agent a, CountDownLatch started) {
        boolean[] counted = {false};
        try {
            a.client().stream("capture.packets", params, e -> {
                if (e.has("started") && !counted[0]) {
                    counted[0] = true;
                    started.countDown();
                } else if (e.has("packet")) {
                    return write(a.node(), e.get("packet"));
                } else if (e.has("lost_packets")) {
                    synchronized (this) {
                        lost += e.get("lost_packets").asLong();
                    }
                }
                return done.getCount() > 0;
            });
        } catch (ApiException e) {
            failures.put(a.node(), e);
        } finally {
            if (!counted[0]) {
                started.countDown();
            }
        }
    }

    /** Writes one packet unless a limit stops the capture; false when the stream should end. */
    private synchronized boolean write(String node, JsonNode p) {
        if (out == null || done.getCount() == 0) {
            return false;
        }
        byte[] data = Base64.getDecoder().decode(p.path("data").asText());
        String iface = node + "/" + p.path("iface").asText("if" + p.path("ifindex").asInt());
        String comment = comment(node, p);
        long next = out.size() + out.sizeOf(iface, data.length, comment);
        if (limits.maxBytes() > 0 && next > limits.maxBytes()) {
            stop("--max-bytes " + limits.maxBytes() + " reached");
            return false;
        }
        try {
            out.packet(iface, Instant.parse(p.path("time").asText()), p.path("length").asInt(), data, comment);
        } catch (IOException e) {
            stop("cannot write " + file + ": " + e.getMessage());
            return false;
        }
        packets++;
        if (limits.count() > 0 && packets >= limits.count()) {
            stop("--count " + limits.count() + " reached");
            return false;
        }
        return true;
    }

    /**
     * The packet's comment: {@code key=value} pairs separated by spaces, in this order: node, hook, verdict,
     * reason (name and code), from, to (pods, when the flow names them).
     */
    static String comment(String node, JsonNode p) {
        JsonNode f = p.path("flow");
        StringBuilder sb = new StringBuilder();
        sb.append("node=").append(node).append(" hook=").append(p.path("hook").asText())
                .append(" verdict=").append(p.path("verdict").asText())
                .append(" reason=").append(p.path("reason_name").asText()).append('(').append(p.path("reason").asInt()).append(')');
        pod(sb, " from=", f.path("source"));
        pod(sb, " to=", f.path("destination"));
        return sb.toString();
    }

    private static void pod(StringBuilder sb, String key, JsonNode peer) {
        if (peer.has("pod_name")) {
            sb.append(key).append(peer.path("namespace").asText()).append('/').append(peer.path("pod_name").asText());
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
