package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.agent.cni.CniInstall;
import dev.weir.lab.Lab;
import dev.weir.lab.cni.CniRuntime;
import dev.weir.lab.model.PodRef;
import dev.weir.lab.model.PodSpec;
import dev.weir.testkit.Requirements;

/**
 * The lab's pods come through weir-cni, driven as a runtime drives it: every pod passes CHECK through its node's
 * installed plugin, and a pod deleted and added again under a policy is policed the moment ADD answers (no window
 * in which it talks unpoliced), while the pod its policy allows reaches it (clients on the pod's node: other nodes
 * learn of a new pod a moment later, as with Cilium).
 */
class CniLabTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: only-y-a, namespace: x}
            spec:
              podSelector: {matchLabels: {pod: a}}
              ingress:
              - from:
                - namespaceSelector: {matchLabels: {ns: y}}
                  podSelector: {matchLabels: {pod: a}}
            """;

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
    void everyPodPassesCheckThroughItsNodesPlugin() throws Exception {
        Lab lab = Lab.require();
        for (PodSpec p : lab.model().pods()) {
            assertThat(Files.isExecutable(lab.state().paths().cniBin(p.node()).resolve(CniInstall.PLUGIN))).isTrue();
            CniRuntime.Outcome check = lab.cniRuntime(p.node(), CniInstall.CONFLIST).run("CHECK", lab.cniPod(p));
            assertThat(check.exit()).as(p.ref() + ": " + check).isZero();
        }
        JsonNode endpoints = MAPPER.readTree(Cli.run("endpoint", "list", "-o", "json").out());
        assertThat(endpoints).filteredOn(e -> !e.path("host").asBoolean()).as("pods").hasSize(lab.model().pods().size());
        assertThat(endpoints).filteredOn(e -> e.path("host").asBoolean()).as("one host endpoint per node")
                .hasSize(lab.model().nodes().size());
    }

    @Test
    void aPodAddedAgainIsPolicedTheMomentAddAnswers() throws Exception {
        Lab lab = Lab.require();
        java.nio.file.Path file = Files.createTempFile("cni-policy", ".yaml");
        Files.writeString(file, POLICY);
        assertThat(Cli.run("apply", "-f", file.toString()).exit()).isZero();
        PodSpec xa = lab.pod(PodRef.parse("x/a"));
        CniRuntime node1 = lab.cniRuntime(xa.node(), CniInstall.CONFLIST);
        try {
            // both clients share x/a's node: what is checked is x/a's own ingress, not how fast node2 learns of it
            assertThat(probe(lab, "y/a")).isTrue();
            assertThat(probe(lab, "x/c")).isFalse();

            node1.del(lab.cniPod(xa));
            assertThat(probe(lab, "y/a")).as("x/a is gone").isFalse();
            assertThat(node1.run("DEL", lab.cniPod(xa)).exit()).as("DEL twice").isZero();

            CniRuntime.Added added = node1.add(lab.cniPod(xa));
            assertThat(added.hostInterface()).isEqualTo(xa.hostInterface());
            // the first packets after ADD answered: the policy is already there
            assertThat(probe(lab, "x/c")).as("x/c is blocked at once").isFalse();
            assertThat(probe(lab, "y/a")).as("y/a is let in").isTrue();
        } finally {
            Cli.run("delete", "-f", file.toString());
            Files.deleteIfExists(file);
        }
    }

    private static boolean probe(Lab lab, String from) {
        return lab.probe(from, "x/a", dev.weir.lab.model.PortSpec.parse("TCP/80"), null, Duration.ofSeconds(1)).allowed();
    }
}
