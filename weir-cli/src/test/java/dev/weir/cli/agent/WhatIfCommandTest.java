package dev.weir.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.Cli;
import dev.weir.cli.InProcess;
import dev.weir.cli.output.Json;

/** {@code weir policy whatif} without agents: its options, bad input refused before any agent is asked, and the merge. */
class WhatIfCommandTest {

    @TempDir
    Path dir;

    @Test
    void helpDescribesTheCommand() {
        assertThat(Cli.run("policy", "--help").out()).contains("whatif", "get");
        InProcess.Result r = Cli.run("policy", "whatif", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("-f, --filename=FILE|DIR", "--since", "-o, --output", "--node", "Nothing is\n",
                "AUDIT_ONLY");
    }

    @Test
    void aDraftIsRequired() {
        InProcess.Result r = Cli.run("policy", "whatif");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required option: '--filename=FILE|DIR'");
    }

    @Test
    void aMissingFileIsExit2() {
        InProcess.Result r = Cli.run("policy", "whatif", "-f", dir.resolve("nope.yaml").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("nope.yaml: no such file or directory");
    }

    @Test
    void aBadSinceIsExit2() throws Exception {
        Path draft = Files.writeString(dir.resolve("d.yaml"), "kind: NetworkPolicy\n");
        InProcess.Result r = Cli.run("policy", "whatif", "-f", draft.toString(), "--since", "yesterday");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--since: 'yesterday' is neither an RFC 3339 time nor a duration");
        InProcess.Result o = Cli.run("policy", "whatif", "-f", draft.toString(), "-o", "yaml");
        assertThat(o.exit()).isEqualTo(2);
        assertThat(o.err()).contains("-o");
    }

    @Test
    void answersOfSeveralNodesMergeIntoOneListing() throws Exception {
        JsonNode node1 = answer("node1", "2026-06-02T12:00:02Z", 3);
        JsonNode node2 = answer("node2", "2026-06-02T12:00:01Z", 2);
        JsonNode merged = WhatIfCommand.merge(List.of(node1, node2));
        assertThat(merged.path("nodes").findValuesAsText("node")).containsExactly("node1", "node2");
        assertThat(merged.path("draft").get(0).path("action").asText()).isEqualTo("replace");
        assertThat(merged.path("summary").path("flows").asLong()).isEqualTo(10);
        assertThat(merged.path("summary").path("allowedToDropped").asLong()).isEqualTo(5);
        assertThat(merged.path("groups")).singleElement().satisfies(g -> {
            assertThat(g.path("count").asLong()).isEqualTo(5);
            assertThat(g.path("example").path("flow").path("node_name").asText()).as("the older example").isEqualTo("node2");
        });
    }

    private static JsonNode answer(String node, String time, int count) throws Exception {
        return Json.mapper().readTree("""
                {"node": "%s", "revision": 7,
                 "draft": [{"object": "NetworkPolicy x/allow-web", "source": "d.yaml", "action": "replace"}],
                 "summary": {"flows": 5, "evaluated": 5, "unchanged": %d, "allowedToDropped": %d, "droppedToAllowed": 0,
                             "auditOnly": 0, "recordedDiffers": 0,
                             "skipped": {"replies": 0, "notPolicyVerdicts": 0, "nonPolicyDrops": 0, "unknownEndpoints": 0}},
                 "groups": [{"change": "ALLOWED_TO_DROPPED", "direction": "INGRESS", "endpoint": "x/a", "peer": "y/b",
                             "after": {"verdict": "DROPPED", "reason": "DROP_POLICY", "policy": null}, "count": %d,
                             "example": {"before": {"verdict": "FORWARDED", "reason": "PASS_POLICY",
                                                    "policy": {"kind": "NetworkPolicy", "namespace": "x", "name": "allow-web",
                                                               "rule": "spec.ingress[0]"}},
                                         "flow": {"time": "%s", "node_name": "%s"}}}],
                 "warnings": []}
                """.formatted(node, 5 - count, count, count, time, node));
    }
}
