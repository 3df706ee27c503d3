package dev.weir.cli.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiClient;
import dev.weir.agent.api.ApiException;
import dev.weir.cli.UserError;

/**
 * Finds the agents of this machine: every {@code <run root>/<node>/api.sock} ({@code /run/weir}, or
 * {@code $WEIR_RUN_ROOT}), except the lab's own directory. Stateless.
 */
public final class AgentDirectory {

    static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    /** One agent: its node and client. */
    public record Agent(String node, ApiClient client) {
        public JsonNode call(String method, JsonNode params) {
            return client.call(method, params, CALL_TIMEOUT);
        }
    }

    private AgentDirectory() {
    }

    /**
     * Where the agents' run directories are: {@code /run/weir}, or {@code WEIR_RUN_ROOT} (the system property
     * {@code weir.runRoot} first: a test stands for a host with fewer agents).
     */
    public static Path runRoot() {
        String set = System.getProperty("weir.runRoot", System.getenv("WEIR_RUN_ROOT"));
        return Path.of(set == null || set.isBlank() ? "/run/weir" : set);
    }

    /**
     * Nodes whose agent stopped on a fatal error and has not been restarted: node to the reason written in
     * {@code <run-dir>/agent.failed} (a new, mutable map).
     */
    public static java.util.Map<String, String> failed() {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        Path root = runRoot();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.sorted().toList()) {
                Path f = d.resolve("agent.failed");
                if (Files.isRegularFile(f)) {
                    out.put(d.getFileName().toString(), Files.readString(f).strip());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Every agent with a socket, sorted by node. */
    public static List<Agent> all() {
        Path root = runRoot();
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            List<Agent> out = new ArrayList<>();
            dirs.filter(d -> !d.getFileName().toString().equals("lab") && Files.exists(d.resolve("api.sock")))
                    .sorted()
                    .forEach(d -> out.add(new Agent(d.getFileName().toString(), new ApiClient(d.resolve("api.sock")))));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * The agents to ask: the one of {@code node}, or all when null.
     *
     * @throws UserError when {@code node} has no agent
     * @throws IllegalStateException when no agent runs at all
     */
    public static List<Agent> select(String node) {
        List<Agent> all = all();
        if (all.isEmpty()) {
            throw new IllegalStateException("no agent is running (no " + runRoot() + "/<node>/api.sock); start one with "
                    + "`weir agent --node NAME` or `weir lab up`");
        }
        if (node == null) {
            return all;
        }
        List<Agent> one = all.stream().filter(a -> a.node().equals(node)).toList();
        if (one.isEmpty()) {
            throw new UserError("no agent for node " + node + " (agents: "
                    + String.join(", ", all.stream().map(Agent::node).toList()) + ")");
        }
        return one;
    }

    /**
     * Asks {@code method} of the selected agents ({@link #select}) in turn, and returns each node's answer in
     * that order; the first failure is thrown as {@link #translate} makes it.
     */
    public static java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> callEach(String node, String method,
                                                                                        com.fasterxml.jackson.databind.JsonNode params) {
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> answers = new java.util.LinkedHashMap<>();
        for (Agent a : select(node)) {
            try {
                answers.put(a.node(), a.call(method, params));
            } catch (ApiException e) {
                throw translate(a, e);
            }
        }
        return answers;
    }

    /** Turns an agent's {@code invalid} answer into a {@link UserError} (exit 2), other failures into exit 1. */
    public static RuntimeException translate(Agent a, ApiException e) {
        if (e.isUserError()) {
            return new UserError(e.getMessage());
        }
        return new IllegalStateException(a.node() + ": " + e.getMessage(), e);
    }
}
