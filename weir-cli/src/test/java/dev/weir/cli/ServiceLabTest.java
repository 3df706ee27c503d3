package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.lab.Lab;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.ProbeResult;
import dev.weir.testkit.Requirements;

/**
 * A ClusterIP service end to end, translated per packet at TC by the agents (started with
 * {@code --socket-lb off}; SocketLbLabTest covers the socket path): reachable from pods on both nodes over
 * TCP and UDP and both families, spread over its backends, listed, and gone after delete.
 */
class ServiceLabTest {

    static final String SERVICE = "../examples/services/01-x-web-clusterip.yaml";
    private static final Set<String> BACKENDS = Set.of("x/a", "x/b", "x/c");
    static Lab lab;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        lab = labWith(SERVICE, "--socket-lb", "off");
    }

    /** {@code weir lab up} with the options, then {@code weir apply -f} the service file; the lab. */
    static Lab labWith(String service, String... upOptions) {
        InProcess.Result r = Cli.run(LabOptions.up(upOptions));
        assertThat(r.exit()).as(r.toString()).isZero();
        InProcess.Result applied = Cli.run("apply", "-f", service);
        assertThat(applied.exit()).as(applied.toString()).isZero();
        return Lab.current().orElseThrow();
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
        }
    }

    private static ProbeResult probe(String from, String to, String port, Family family) {
        return lab.probe(from, to, PortSpec.parse(port), family, Lab.PROBE_TIMEOUT);
    }

    @Test
    void clusterIpAnswersFromABackendOnBothNodesAndFamilies() {
        for (String client : new String[] {"y/a", "y/b", "z/c"}) {
            for (String port : new String[] {"TCP/80", "UDP/80"}) {
                ProbeResult v4 = probe(client, "10.96.0.10", port, Family.IPV4);
                assertThat(v4.allowed()).as(client + " -> 10.96.0.10 " + port + ": " + v4.summary()).isTrue();
                assertThat(v4.backend()).isIn(BACKENDS);
                ProbeResult v6 = probe(client, "fd00:10:96::a", port, Family.IPV6);
                assertThat(v6.allowed()).as(client + " -> [fd00:10:96::a] " + port + ": " + v6.summary()).isTrue();
                assertThat(v6.backend()).isIn(BACKENDS);
            }
        }
    }

    @Test
    void newConnectionsSpreadOverTheBackends() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            ProbeResult r = probe("y/b", "10.96.0.10", "TCP/80", Family.IPV4);
            assertThat(r.allowed()).isTrue();
            seen.add(r.backend());
        }
        assertThat(seen).as("40 connections over 3 backends (Maglev on the client port)").hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void listedAndGoneAfterDelete() {
        InProcess.Result list = Cli.run("service", "list");
        assertThat(list.out()).contains("x/web", "10.96.0.10:80", "fd00:10:96::a");
        assertThat(Cli.run("bpf", "lb", "list").out()).contains("node1", "node2", "10.96.0.10:80/TCP");
        assertThat(Cli.run("delete", "-f", SERVICE).exit()).isZero();
        assertThat(probe("y/a", "10.96.0.10", "TCP/80", Family.IPV4).allowed()).as("no service, no route").isFalse();
        assertThat(Cli.run("apply", "-f", SERVICE).exit()).isZero();
        assertThat(probe("y/a", "10.96.0.10", "TCP/80", Family.IPV4).allowed()).isTrue();
    }

    @Test
    void quarantinedBackendGetsNoNewConnectionsUntilActivated() {
        InProcess.Result q = Cli.run("service", "backend", "quarantine", "10.244.1.20:80");
        try {
            assertThat(q.exit()).as(q.toString()).isZero();
            assertThat(q.out()).contains("backend 10.244.1.20:80/TCP quarantined", "node1", "node2");
            assertThat(Cli.run("service", "list").out()).contains("10.244.1.20:80 quarantined");
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 30; i++) {
                ProbeResult r = probe(i % 2 == 0 ? "y/b" : "y/a", "10.96.0.10", "TCP/80", Family.IPV4);
                assertThat(r.allowed()).as(r.summary()).isTrue();
                seen.add(r.backend());
            }
            assertThat(seen).as("30 connections while x/b is quarantined").doesNotContain("x/b").isNotEmpty();
            // the override is per protocol: UDP/80 of x/b still takes part
            Set<String> udp = new HashSet<>();
            for (int i = 0; i < 30 && !udp.contains("x/b"); i++) {
                udp.add(probe("y/b", "10.96.0.10", "UDP/80", Family.IPV4).backend());
            }
            assertThat(udp).contains("x/b");
        } finally {
            InProcess.Result a = Cli.run("service", "backend", "activate", "10.244.1.20:80");
            assertThat(a.exit()).as(a.toString()).isZero();
        }
        assertThat(Cli.run("service", "list").out()).doesNotContain("quarantined");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 60 && !seen.contains("x/b"); i++) {
            seen.add(probe("y/b", "10.96.0.10", "TCP/80", Family.IPV4).backend());
        }
        assertThat(seen).as("x/b is back after activate").contains("x/b");
        assertThat(Cli.run("service", "backend", "quarantine", "10.244.1.20:99999").exit()).as("bad port").isEqualTo(2);
    }
}
