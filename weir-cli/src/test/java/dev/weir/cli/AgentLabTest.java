package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.output.Json;
import dev.weir.testkit.Requirements;

/**
 * A real agent per node against a real lab: {@code lab up} starts them, they answer, {@code apply} returns
 * once both enforce the new revision, and {@code lab down} leaves no process, socket, run directory or store.
 */
class AgentLabTest {

    @TempDir
    static Path files;

    @BeforeAll
    static void up() {
        Requirements.root();
        InProcess.Result r = Cli.run("lab", "up");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    @Test
    void agentsServeTheLabAndLabDownRemovesThem() throws Exception {
        InProcess.Result status = Cli.run("status", "-o", "json");
        assertThat(status.exit()).as(status.toString()).isZero();
        JsonNode nodes = Json.mapper().readTree(status.out()).path("nodes");
        assertThat(nodes).hasSize(2);
        assertThat(nodes.get(0).path("node").asText()).isEqualTo("node1");
        assertThat(nodes.get(0).path("endpoints").asInt()).isEqualTo(4);
        assertThat(nodes.get(1).path("endpoints").asInt()).isEqualTo(5);
        long pid1 = nodes.get(0).path("pid").asLong();
        long pid2 = nodes.get(1).path("pid").asLong();
        long before = nodes.get(0).path("storeRevision").asLong();

        InProcess.Result endpoints = Cli.run("endpoint", "list", "--node", "node2");
        assertThat(endpoints.out()).contains("y/c").doesNotContain("x/a ");
        InProcess.Result ids = Cli.run("identity", "list", "-o", "json");
        assertThat(Json.mapper().readTree(ids.out())).as("3 reserved + 9 pods").hasSize(12);

        Path policy = files.resolve("deny.yaml");
        Files.writeString(policy, """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny-all, namespace: x}
                spec: {podSelector: {}, policyTypes: [Ingress]}
                """);
        InProcess.Result apply = Cli.run("apply", "-f", policy.toString());
        assertThat(apply.exit()).as(apply.toString()).isZero();
        assertThat(apply.out()).contains("NetworkPolicy x/deny-all created", "revision " + (before + 1) + " enforced on node1, node2");
        for (JsonNode n : Json.mapper().readTree(Cli.run("status", "-o", "json").out()).path("nodes")) {
            assertThat(n.path("appliedRevision").asLong()).as(n.path("node").asText()).isEqualTo(before + 1);
            assertThat(n.path("policies").asInt()).isEqualTo(1);
        }
        Path bad = files.resolve("bad.yaml");
        Files.writeString(bad, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: x}\nspec: {}\n");
        InProcess.Result invalid = Cli.run("apply", "-f", policy.toString(), "-f", bad.toString());
        assertThat(invalid.exit()).isEqualTo(2);
        assertThat(invalid.err()).contains("bad.yaml", "metadata.name");
        assertThat(Cli.run("policy", "get", "x/b").out()).contains("x/b on node2");

        InProcess.Result down = Cli.run("lab", "down");
        assertThat(down.exit()).as(down.toString()).isZero();
        assertThat(ProcessHandle.of(pid1).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(ProcessHandle.of(pid2).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(Path.of("/run/weir/node1")).doesNotExist();
        assertThat(Path.of("/run/weir/node2")).doesNotExist();
        assertThat(Path.of("/run/weir/lab")).doesNotExist();
        assertThat(Path.of("/var/lib/weir/lab")).doesNotExist();
        assertThat(Path.of("/sys/fs/bpf/weir/node1")).doesNotExist();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("dev.weir.cli.Main agent")))
                .isEmpty();
        assertThat(Cli.run("status").exit()).as("no agent answers after lab down").isEqualTo(1);
    }
}
