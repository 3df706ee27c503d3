package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.cli.output.Json;
import dev.weir.lab.KvstoreState;
import dev.weir.lab.Lab;

/**
 * The lab with {@code --kvstore etcd} as failure tests disturb and observe it: its etcd members (the leader,
 * kill, pause, resume, etcd's own view through {@link EtcdHttp}), its agents through the CLI (status, each agent's
 * node and identity views, waiting until all agree with etcd), and processes. Processes paused here are
 * remembered until resumed ({@link #resumeAll} before {@code lab down}). Tests are sequential; not thread-safe.
 */
final class FailureLab {

    /** Processes SIGSTOPped here and not resumed yet. */
    private static final Set<Long> paused = new LinkedHashSet<>();

    private FailureLab() {
    }

    /** SIGCONTs every process paused here. */
    static void resumeAll() {
        for (long pid : List.copyOf(paused)) {
            resume(pid);
        }
    }

    /** The agents' and members' logs, kept in target/ for a failure's post-mortem (lab down removes them). */
    static void keepLogs(Class<?> test) {
        Path logs = Path.of("/run/weir/lab/logs");
        Path keep = Path.of("target", test.getSimpleName() + "-logs");
        try (var list = Files.list(logs)) {
            Files.createDirectories(keep);
            for (Path f : list.filter(f -> f.getFileName().toString().matches("(agent-node\\d+|etcd\\d+)\\.log")).toList()) {
                Files.copy(f, keep.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("cannot keep the logs: " + e);
        }
    }

    static List<JsonNode> status() {
        InProcess.Result r = Cli.run("status", "-o", "json");
        try {
            List<JsonNode> rows = new ArrayList<>();
            Json.mapper().readTree(r.out()).path("nodes").forEach(rows::add);
            return rows;
        } catch (IOException e) {
            throw new AssertionError(r.toString(), e);
        }
    }

    static JsonNode statusOf(String node) {
        return status().stream().filter(r -> r.path("node").asText().equals(node)).findFirst().orElseThrow();
    }

    static void awaitStatus(String what, Duration timeout, Predicate<List<JsonNode>> ok) {
        await(what, timeout, () -> ok.test(status()));
    }

    /**
     * Waits until every one of {@code nodes} answers, enforces etcd's store revision without an error and watches
     * etcd, and each one's node list has all of them at that revision; returns the revision.
     */
    static long awaitConverged(List<String> nodes, String when) {
        long[] rev = {-1};
        List<JsonNode>[] last = new List[1];
        try {
            await(when + ": every node at etcd's revision", Duration.ofSeconds(90), () -> {
                Long etcd = revisionKey().map(EtcdHttp.Kv::modRevision).orElse(null);
                last[0] = status();
                if (etcd == null) {
                    return false;
                }
                rev[0] = etcd;
                for (String n : nodes) {
                    JsonNode row = last[0].stream().filter(r -> r.path("node").asText().equals(n)).findFirst().orElse(null);
                    if (row == null || !row.path("up").asBoolean() || row.path("appliedRevision").asLong() != etcd
                            || !row.path("syncError").isNull() || !row.path("kvstore").path("live").asBoolean()) {
                        return false;
                    }
                    Map<String, Long> view = nodeView(n);
                    for (String m : nodes) {
                        if (!Long.valueOf(etcd).equals(view.get(m))) {
                            return false;
                        }
                    }
                }
                return true;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; status: " + last[0], e);
        }
        return rev[0];
    }

    /** The nodes {@code via}'s agent knows from etcd, with the revision each enforces. */
    static Map<String, Long> nodeView(String via) {
        InProcess.Result r = Cli.run("node", "list", "--node", via, "-o", "json");
        Map<String, Long> out = new TreeMap<>();
        if (r.exit() != 0) {
            return out;
        }
        try {
            Json.mapper().readTree(r.out()).forEach(n -> out.put(n.path("name").asText(), n.path("appliedRevision").asLong()));
        } catch (IOException e) {
            throw new AssertionError(r.toString(), e);
        }
        return out;
    }

    static Set<String> nodeNames(String via) {
        return nodeView(via).keySet();
    }

    /** {@code via}'s identities: id to labels. */
    static Map<Integer, JsonNode> identities(String via) {
        InProcess.Result r = Cli.run("identity", "list", "--node", via, "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        Map<Integer, JsonNode> out = new TreeMap<>();
        try {
            Json.mapper().readTree(r.out()).forEach(i -> out.put(i.path("id").asInt(), i.path("labels")));
        } catch (IOException e) {
            throw new AssertionError(r.toString(), e);
        }
        return out;
    }

    /** The pods ({@code ns/pod}, sorted) whose label sets {@code via}'s endpoint identities are. */
    static List<String> podIdentities(String via) {
        return identities(via).values().stream().filter(l -> l.has("k8s:pod"))
                .map(l -> l.path("k8s:io.kubernetes.pod.namespace").asText() + "/" + l.path("k8s:pod").asText())
                .sorted().toList();
    }

    static long agentPid(String node) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/run/weir", node, "agent.pid")).strip());
    }

    // --- etcd: its members, read through their HTTP gateway ---

    static List<KvstoreState.Member> members() {
        return Lab.current().orElseThrow().kvstore().members();
    }

    /** A member that is running and not paused, to read etcd through. */
    static String url() {
        return members().stream().filter(m -> !paused.contains(m.pid()) && ProcessHandle.of(m.pid()).isPresent())
                .findFirst().orElseThrow().clientUrl();
    }

    /** {@code weir/revision} as etcd holds it: its mod_revision is the store's revision, its version the commits. */
    static Optional<EtcdHttp.Kv> revisionKey() {
        try {
            return EtcdHttp.get(url(), "weir/revision");
        } catch (AssertionError e) {
            return Optional.empty();
        }
    }

    /** The member the others agree leads (asked through each member's status). */
    static KvstoreState.Member leader() {
        KvstoreState.Member[] found = new KvstoreState.Member[1];
        await("an etcd leader", Duration.ofSeconds(30), () -> {
            Map<String, KvstoreState.Member> byId = new TreeMap<>();
            Set<String> leaders = new LinkedHashSet<>();
            for (KvstoreState.Member m : members()) {
                if (paused.contains(m.pid())) {
                    continue;
                }
                EtcdHttp.status(m.clientUrl()).ifPresent(s -> {
                    byId.put(s.memberId(), m);
                    leaders.add(s.leader());
                });
            }
            if (leaders.size() != 1 || !byId.containsKey(leaders.iterator().next())) {
                return false;
            }
            found[0] = byId.get(leaders.iterator().next());
            return true;
        });
        return found[0];
    }

    // --- processes and time ---

    static void kill9(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroyForcibly();
            h.onExit().join();
        });
    }

    static void pause(long pid) {
        signal(pid, "STOP");
        paused.add(pid);
    }

    static void resume(long pid) {
        signal(pid, "CONT");
        paused.remove(pid);
    }

    private static void signal(long pid, String sig) {
        try {
            int exit = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
            assertThat(exit).as("kill -" + sig + " " + pid).isZero();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
            }
            sleep(200);
        }
    }

    static void sleepUntil(long since, Duration d) {
        long left = d.toMillis() - ms(since);
        if (left > 0) {
            sleep(left);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }
}
