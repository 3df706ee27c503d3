package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.output.Json;
import dev.weir.testkit.Requirements;

/**
 * {@code weir policy whatif} on a real lab with real traffic: x isolated, TCP/80 allowed from y; probes make
 * the agents record flows; a draft denying y/b and a draft also allowing z are replayed over them on both
 * nodes, and exactly the flows they change are listed; nothing is applied (store, identities and probes as
 * before).
 */
class PolicyWhatIfLabTest {

    private static final String POLICIES = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: default-deny, namespace: x}
            spec: {podSelector: {}}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: x}
            spec:
              podSelector: {}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
                ports: [{protocol: TCP, port: 80}]
            """;
    private static final String DENY_Y_B = """
            apiVersion: weir.dev/v1
            kind: WeirNetworkPolicy
            metadata: {name: no-yb, namespace: x}
            spec:
              endpointSelector: {matchLabels: {pod: a}}
              ingressDeny:
              - fromEndpoints: [{matchLabels: {pod: b, k8s:io.kubernetes.pod.namespace: y}}]
            """;
    private static final String ALLOW_Z = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-web, namespace: x}
            spec:
              podSelector: {}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {ns: y}}}, {namespaceSelector: {matchLabels: {ns: z}}}]
                ports: [{protocol: TCP, port: 80}]
            """;

    @TempDir
    static Path files;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
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
    void aDraftListsExactlyTheFlowsItWouldChangeAndAppliesNothing() throws Exception {
        InProcess.Result apply = Cli.run("apply", "-f", write("policies.yaml", POLICIES));
        assertThat(apply.exit()).as(apply.toString()).isZero();
        List<String> probes = probes();
        assertThat(probes).containsExactly("y/b x/a allowed", "y/a x/b allowed", "z/a x/a blocked");
        String status = storeState();
        String identities = Cli.run("identity", "list", "-o", "json").out();

        JsonNode deny = whatif(write("deny.yaml", DENY_Y_B), 1);
        assertThat(deny.path("draft").get(0).path("object").asText()).isEqualTo("WeirNetworkPolicy x/no-yb");
        assertThat(deny.path("draft").get(0).path("action").asText()).isEqualTo("create");
        assertThat(deny.path("nodes").findValuesAsText("node")).containsExactly("node1", "node2");
        assertThat(groups(deny)).containsExactly(
                "ALLOWED_TO_DROPPED INGRESS x/a <- y/b DROPPED DROP_POLICY_DENY WeirNetworkPolicy x/no-yb spec.ingressDeny[0]");
        JsonNode example = deny.path("groups").get(0).path("example");
        assertThat(example.path("before").path("policy").path("name").asText()).isEqualTo("allow-web");
        assertThat(example.path("flow").path("node_name").asText()).as("x/a's ingress is on node1").isEqualTo("node1");
        assertThat(example.path("flow").path("l4").path("TCP").path("destination_port").asInt()).isEqualTo(80);
        assertThat(deny.path("summary").path("droppedToAllowed").asLong()).isZero();
        assertThat(deny.path("summary").path("evaluated").asLong()).as("both hooks of every probe")
                .isGreaterThanOrEqualTo(5);

        JsonNode allow = whatif(write("allow.yaml", ALLOW_Z), 1);
        assertThat(allow.path("draft").get(0).path("action").asText()).isEqualTo("replace");
        assertThat(groups(allow)).containsExactly(
                "DROPPED_TO_ALLOWED INGRESS x/a <- z/a FORWARDED PASS_POLICY NetworkPolicy x/allow-web spec.ingress[0]");
        assertThat(allow.path("summary").path("allowedToDropped").asLong()).isZero();

        InProcess.Result table = Cli.run("policy", "whatif", "-f", files.resolve("allow.yaml").toString());
        assertThat(table.exit()).as(table.toString()).isZero();
        assertThat(table.out()).contains("DROPPED_TO_ALLOWED", "z/a", "NetworkPolicy x/allow-web spec.ingress[0]",
                "(default deny: no rule allows)", "nothing was applied");

        InProcess.Result bad = Cli.run("policy", "whatif", "-f", write("bad.yaml", ALLOW_Z.replace("port: 80", "port: 0")));
        assertThat(bad.exit()).as(bad.toString()).isEqualTo(2);
        assertThat(bad.err()).contains("bad.yaml", "NetworkPolicy x/allow-web", "spec.ingress[0].ports[0]");

        assertThat(storeState()).as("nothing applied").isEqualTo(status);
        assertThat(Cli.run("identity", "list", "-o", "json").out()).as("no identity allocated").isEqualTo(identities);
        assertThat(probes()).as("traffic as before").containsExactly("y/b x/a allowed", "y/a x/b allowed", "z/a x/a blocked");
    }

    /** Runs whatif until the agents have recorded the probes' flows (the groups hold at least {@code min} flows). */
    private static JsonNode whatif(String draft, int min) throws Exception {
        JsonNode r = null;
        for (int i = 0; i < 50; i++) {
            InProcess.Result run = Cli.run("policy", "whatif", "-f", draft, "--since", "10m", "-o", "json");
            assertThat(run.exit()).as(run.toString()).isZero();
            r = Json.mapper().readTree(run.out());
            long changed = 0;
            for (JsonNode g : r.path("groups")) {
                changed += g.path("count").asLong();
            }
            if (changed >= min) {
                return r;
            }
            Thread.sleep(100);
        }
        return r;
    }

    /** {@code change direction endpoint <- peer verdict reason policy}, one per group. */
    private static List<String> groups(JsonNode r) {
        List<String> out = new ArrayList<>();
        for (JsonNode g : r.path("groups")) {
            JsonNode after = g.path("after");
            JsonNode p = after.path("policy");
            out.add(String.join(" ", g.path("change").asText(), g.path("direction").asText(), g.path("endpoint").asText(), "<-",
                    g.path("peer").asText(), after.path("verdict").asText(), after.path("reason").asText(),
                    p.path("kind").asText(), p.path("namespace").asText() + "/" + p.path("name").asText(), p.path("rule").asText()));
        }
        return out;
    }

    private static List<String> probes() {
        List<String> out = new ArrayList<>();
        for (String[] p : new String[][] {{"y/b", "x/a"}, {"y/a", "x/b"}, {"z/a", "x/a"}}) {
            InProcess.Result r = Cli.run("lab", "probe", p[0], p[1], "TCP/80");
            out.add(p[0] + " " + p[1] + " " + (r.out().startsWith("allowed") ? "allowed" : r.out().strip()));
        }
        return out;
    }

    /** Every node's store revision, applied revision and policy count. */
    private static String storeState() throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode n : Json.mapper().readTree(Cli.run("status", "-o", "json").out()).path("nodes")) {
            out.add(n.path("node").asText() + " " + n.path("storeRevision").asLong() + " " + n.path("appliedRevision").asLong()
                    + " " + n.path("policies").asInt());
        }
        return String.join(", ", out);
    }

    private static String write(String name, String text) throws Exception {
        return Files.writeString(files.resolve(name), text).toString();
    }
}
