package dev.weir.cli.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.store.etcd.Etcd;

/**
 * Waits until every agent enforces a store revision (its {@code appliedRevision} reaches it). With the file
 * store the agents are this machine's, each asked for its status; with etcd they are every live node of the
 * cluster, read from the node records through one agent ({@code cluster.nodes}). An agent that reports a sync
 * error for that revision fails the wait at once, unless the error is the kvstore's ({@value Etcd#UNAVAILABLE}:
 * etcd did not answer a read the computation needed, e.g. with a member hung): the agent tries again every
 * second, so the wait goes on until the timeout, and then names the error. Stateless.
 */
public final class RevisionWait {

    private RevisionWait() {
    }

    /**
     * Returns the nodes, once all enforce {@code revision}.
     *
     * @throws IllegalStateException naming the nodes that do not, when the timeout passes or one fails
     */
    public static List<String> await(List<AgentDirectory.Agent> agents, long revision, Duration timeout) {
        AgentDirectory.Agent first = agents.getFirst();
        try {
            if (first.call("cluster.nodes", null).path("kvstore").path("kind").asText("file").equals("etcd")) {
                return awaitRecords(first, revision, timeout);
            }
        } catch (ApiException e) {
            // an agent without cluster.nodes (older) or not answering: ask each agent below
        }
        return awaitLocal(agents, revision, timeout);
    }

    /** Every node with a record in etcd, as {@code via} sees them, enforces {@code revision}. */
    static List<String> awaitRecords(AgentDirectory.Agent via, long revision, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> pending = new LinkedHashMap<>();
        while (true) {
            pending.clear();
            List<String> nodes = new ArrayList<>();
            try {
                for (JsonNode n : via.call("cluster.nodes", null).path("nodes")) {
                    String name = n.path("name").asText();
                    nodes.add(name);
                    if (n.path("appliedRevision").asLong() >= revision) {
                        continue;
                    }
                    if (failedFor(n, revision)) {
                        throw new IllegalStateException(name + " cannot apply revision " + revision + ": "
                                + n.path("syncError").asText());
                    }
                    pending.put(name, pendingWhy(n));
                }
                if (nodes.isEmpty()) {
                    pending.put(via.node(), "no node record in etcd yet");
                }
            } catch (ApiException e) {
                pending.put(via.node(), e.getMessage());
            }
            if (pending.isEmpty()) {
                return nodes;
            }
            if (System.nanoTime() > deadline) {
                List<String> why = new ArrayList<>();
                pending.forEach((n, w) -> why.add(n + " (" + w + ")"));
                throw new IllegalStateException("revision " + revision + " is stored but not enforced everywhere after "
                        + timeout.toSeconds() + " s: " + String.join(", ", why));
            }
            pause(revision);
        }
    }

    /**
     * True when the node (a status or a node record) reports that it failed to apply {@code revision} for a reason
     * that retrying will not cure; a kvstore that did not answer is not one.
     */
    static boolean failedFor(JsonNode node, long revision) {
        String error = node.path("syncError").isNull() ? null : node.path("syncError").asText(null);
        return error != null && node.path("failedRevision").asLong() >= revision && !error.contains(Etcd.UNAVAILABLE);
    }

    private static String pendingWhy(JsonNode node) {
        String why = "at revision " + node.path("appliedRevision").asLong();
        return node.path("syncError").isNull() || node.path("syncError").isMissingNode() ? why
                : why + ", retrying: " + node.path("syncError").asText();
    }

    private static void pause(long revision) {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for revision " + revision);
        }
    }

    private static List<String> awaitLocal(List<AgentDirectory.Agent> agents, long revision, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> pending = new LinkedHashMap<>();
        agents.forEach(a -> pending.put(a.node(), "not asked yet"));
        while (true) {
            for (AgentDirectory.Agent a : agents) {
                if (!pending.containsKey(a.node())) {
                    continue;
                }
                try {
                    // ping answers where the sync stands and costs the agent nothing; an older agent's lacks it
                    JsonNode s = a.call("ping", null);
                    if (!s.has("appliedRevision")) {
                        s = a.call("status", null);
                    }
                    if (s.path("appliedRevision").asLong() >= revision) {
                        pending.remove(a.node());
                    } else if (failedFor(s, revision)) {
                        throw new IllegalStateException(a.node() + " cannot apply revision " + revision + ": "
                                + s.path("syncError").asText());
                    } else {
                        pending.put(a.node(), pendingWhy(s));
                    }
                } catch (ApiException e) {
                    pending.put(a.node(), e.getMessage());
                }
            }
            if (pending.isEmpty()) {
                return agents.stream().map(AgentDirectory.Agent::node).toList();
            }
            if (System.nanoTime() > deadline) {
                List<String> why = new ArrayList<>();
                pending.forEach((n, w) -> why.add(n + " (" + w + ")"));
                throw new IllegalStateException("revision " + revision + " is stored but not enforced everywhere after "
                        + timeout.toSeconds() + " s: " + String.join(", ", why));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for revision " + revision);
            }
        }
    }
}
