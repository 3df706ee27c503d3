package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.lab.Lab;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/**
 * The node's own traffic (each lab node's processes run in its namespace and its own cgroup, as `weir lab probe
 * node1 ...` does): under a default-deny the node still reaches its own pods (allow-localhost, as a kubelet's
 * probes need) while a pod of another namespace and the other node stay blocked, and the flow names the host and
 * the rule. Host processes reach ClusterIPs through the socket-level translation on the node's cgroup, from the
 * backend's node and from the other node alike. `weir endpoint list` lists each node's host endpoint (identity 1), which
 * stands for the node's processes and its host-network pods.
 */
class NodeTrafficLabTest {

    private static final String DENY_ALL = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, namespace: x}
            spec: {podSelector: {}}
            """;
    private static final String SERVICE = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: x}
            spec:
              clusterIP: 10.96.0.50
              ports: [{name: http, port: 80, protocol: TCP, targetPort: 80}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: x, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            ports: [{name: http, port: 80, protocol: TCP}]
            endpoints:
            - addresses: [10.244.1.10]
              nodeName: node1
            """;

    @TempDir
    static Path dir;

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
    void theNodeReachesItsPodsUnderADefaultDenyAndNobodyElseDoes() throws Exception {
        Lab lab = Lab.require();
        Path deny = dir.resolve("deny.yaml");
        Files.writeString(deny, DENY_ALL);
        assertThat(Cli.run("apply", "-f", deny.toString()).exit()).isZero();
        try {
            assertThat(probe(lab, "node1", "x/a").allowed()).as("node1's probe of its pod x/a").isTrue();
            assertThat(probe(lab, "node2", "x/b").allowed()).as("node2's probe of its pod x/b").isTrue();
            assertThat(probe(lab, "y/a", "x/a").allowed()).as("a pod of namespace y").isFalse();
            assertThat(probe(lab, "node2", "x/a").allowed()).as("the other node").isFalse();
            InProcess.Result flows = Cli.run("observe", "--last", "50", "--to-pod", "x/a", "-o", "json");
            assertThat(flows.out()).contains("reserved:host").contains("allow-localhost");
        } finally {
            Cli.run("delete", "-f", deny.toString());
        }
    }

    @Test
    void hostProcessesReachClusterIpsOnBothNodes() throws Exception {
        Lab lab = Lab.require();
        Path svc = dir.resolve("svc.yaml");
        Files.writeString(svc, SERVICE);
        assertThat(Cli.run("apply", "-f", svc.toString()).exit()).isZero();
        try {
            for (String node : new String[] {"node1", "node2"}) {
                ProbeResult r = lab.probe(node, "10.96.0.50", PortSpec.parse("TCP/80"), null, Duration.ofSeconds(2));
                assertThat(r.allowed()).as(node + " -> ClusterIP").isTrue();
                assertThat(r.backend()).isEqualTo("x/a");
            }
        } finally {
            Cli.run("delete", "-f", svc.toString());
        }
    }

    @Test
    void eachNodeListsItsHostEndpointForItsOwnProcessesAndHostNetworkPods() throws Exception {
        InProcess.Result r = Cli.run("endpoint", "list", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> hosts = new java.util.TreeMap<>();
        for (com.fasterxml.jackson.databind.JsonNode e : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out())) {
            if (e.path("host").asBoolean()) {
                hosts.put(e.path("node").asText(), e);
            }
        }
        assertThat(hosts).containsOnlyKeys("node1", "node2");
        assertThat(hosts.get("node1").path("identity").asInt()).isEqualTo(1);
        assertThat(hosts.get("node1").path("ipv4").asText()).isEqualTo("192.168.100.1");
        assertThat(hosts.get("node2").path("ipv6").asText()).isEqualTo("fd00:192:168:100::2");
        assertThat(hosts.get("node2").path("labels").has("reserved:host")).isTrue();
        assertThat(Cli.run("endpoint", "list").out()).contains("(host network)");
    }

    private static ProbeResult probe(Lab lab, String from, String to) {
        return lab.probe(from, to, PortSpec.parse("TCP/80"), null, Duration.ofSeconds(1));
    }
}
