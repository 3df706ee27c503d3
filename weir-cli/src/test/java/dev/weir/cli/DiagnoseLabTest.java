package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.cli.output.Json;
import dev.weir.testkit.Requirements;

/**
 * {@code weir diagnose} on a real lab with real traffic: every check ok on a healthy lab; a foreign XDP program
 * (xdp-tools' {@code xdp-loader}) on x/a's lxc in node1's namespace fails the foreign-program check, naming it;
 * {@code diagnose path} names the allowing policy of an allowed pair and the denying policy of a blocked pair,
 * and the kernel's recorded flows agree; a default-deny egress in y warns the DNS check naming y's pods; the
 * bundle holds the expected files. Everything is removed afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DiagnoseLabTest {

    private static final String NODE1_NETNS = "/run/netns/weir-node1";
    private static final Path XDP_OBJECT = Path.of("/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_dny_all.o");
    /** libxdp makes this directory for its pins; the test removes it again when it made it. */
    private static final Path LIBXDP_PINS = Path.of("/sys/fs/bpf/xdp");
    private static boolean libxdpPinsBefore;
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
              - from: [{namespaceSelector: {matchLabels: {ns: z}}}]
                ports: [{protocol: TCP, port: 80}]
            ---
            apiVersion: weir.dev/v1
            kind: WeirNetworkPolicy
            metadata: {name: no-zc, namespace: x}
            spec:
              endpointSelector: {matchLabels: {pod: a}}
              ingressDeny:
              - fromEndpoints: [{matchLabels: {pod: c, k8s:io.kubernetes.pod.namespace: z}}]
            """;
    private static final String DENY_EGRESS_Y = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-egress, namespace: y}
            spec: {podSelector: {}, policyTypes: [Egress]}
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
            unloadForeignXdp();
            Cli.run("lab", "down");
            assertThat(Path.of(NODE1_NETNS)).as("the lab's namespaces are gone").doesNotExist();
        }
    }

    @Test
    @Order(1)
    void aHealthyLabIsAllOk() {
        JsonNode d = diagnose(0);
        assertThat(d.path("checks").valueStream().map(c -> c.path("id").asText() + " " + c.path("verdict").asText()))
                .hasSize(12).allSatisfy(s -> assertThat(s).endsWith(" ok"));
    }

    @Test
    @Order(2)
    void aForeignXdpProgramOnAPodsLxcIsNamed() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/sbin/xdp-loader")) && Files.exists(XDP_OBJECT),
                "xdp-tools (xdp-loader and " + XDP_OBJECT + ") is not installed");
        libxdpPinsBefore = Files.exists(LIBXDP_PINS);
        try {
            Exec load = exec("nsenter", "--net=" + NODE1_NETNS, "xdp-loader", "load", "-m", "skb", "lxc-x-a", XDP_OBJECT.toString());
            assertThat(load.exit()).as(load.out()).isZero();
            JsonNode d = diagnose(1);
            JsonNode foreign = check(d, "foreign-programs");
            assertThat(foreign.path("verdict").asText()).isEqualTo("fail");
            assertThat(foreign.path("summary").asText()).contains("node1: lxc-x-a xdp", "xdpfilt_dny_all", "was not attached by weir");
            JsonNode xdp = check(d, "xdp-drops");
            assertThat(xdp.path("verdict").asText()).isEqualTo("warn");
            assertThat(xdp.path("summary").asText()).contains("lxc-x-a has a foreign XDP program");
        } finally {
            unloadForeignXdp();
        }
        assertThat(LIBXDP_PINS).as("no libxdp pin left").matches(p -> libxdpPinsBefore || !Files.exists(p));
        assertThat(check(diagnose(0), "foreign-programs").path("verdict").asText()).isEqualTo("ok");
    }

    @Test
    @Order(3)
    void pathNamesTheDecidingPolicyAndTheKernelAgrees() throws Exception {
        InProcess.Result apply = Cli.run("apply", "-f", write("policies.yaml", POLICIES));
        assertThat(apply.exit()).as(apply.toString()).isZero();
        assertThat(Cli.run("lab", "probe", "z/b", "x/a", "TCP/80").out()).startsWith("allowed");
        assertThat(Cli.run("lab", "probe", "z/c", "x/a", "TCP/80").out()).startsWith("blocked");

        JsonNode allowed = path("z/b", "x/a", "TCP/80");
        JsonNode t = allowed.path("decision").path("targets").get(0);
        assertThat(allowed.path("verdict").asText()).isEqualTo("ALLOWED");
        assertThat(t.path("ingress").path("policy").path("name").asText()).isEqualTo("allow-web");
        assertThat(t.path("ingress").path("policy").path("rule").asText()).isEqualTo("spec.ingress[0]");
        assertThat(t.path("ingress").path("peerIdentity").asInt()).isEqualTo(allowed.path("decision").path("source").path("identity").asInt());
        assertThat(allowed.path("hops").valueStream().map(h -> h.path("hop").asText()))
                .containsExactly("z/b eth0 -> node2 lxc-z-b", "node2 -> node1 weir_vxlan", "node1 lxc-x-a -> x/a eth0");
        assertThat(allowed.path("hops").get(2).path("programs").get(0).path("owner").asText()).isEqualTo("weir");
        assertThat(allowed.path("kernel").get(0).path("answer").asText()).isEqualTo("agrees");

        JsonNode blocked = path("z/c", "x/a", "TCP/80");
        JsonNode b = blocked.path("decision").path("targets").get(0);
        assertThat(blocked.path("verdict").asText()).isEqualTo("DENIED");
        assertThat(b.path("ingress").path("reason").asText()).isEqualTo("DROP_POLICY_DENY");
        assertThat(b.path("ingress").path("policy").path("kind").asText()).isEqualTo("WeirNetworkPolicy");
        assertThat(b.path("ingress").path("policy").path("name").asText()).isEqualTo("no-zc");
        assertThat(blocked.path("kernel").get(0).path("answer").asText()).isEqualTo("agrees");
        assertThat(blocked.path("kernel").get(0).path("kernelVerdict").asText()).isEqualTo("DROPPED");

        InProcess.Result table = Cli.run("diagnose", "path", "z/c", "x/a", "TCP/80");
        assertThat(table.exit()).as(table.toString()).isZero();
        assertThat(table.out()).contains("DROP_POLICY_DENY by WeirNetworkPolicy x/no-zc spec.ingressDeny[0]", "verdict: DENIED",
                "kernel (10.244.1.10): agrees");
    }

    @Test
    @Order(4)
    void aDefaultDenyEgressWarnsTheDnsCheckNamingThePods() throws Exception {
        InProcess.Result apply = Cli.run("apply", "-f", write("deny-egress.yaml", DENY_EGRESS_Y));
        assertThat(apply.exit()).as(apply.toString()).isZero();
        JsonNode dns = check(diagnose(0), "dns-egress");
        assertThat(dns.path("verdict").asText()).isEqualTo("warn");
        assertThat(dns.path("summary").asText()).isEqualTo("egress is enforced and no rule allows DNS (UDP/53) for y/a, y/b, y/c");
        assertThat(Cli.run("delete", "-f", files.resolve("deny-egress.yaml").toString()).exit()).isZero();
        assertThat(check(diagnose(0), "dns-egress").path("verdict").asText()).isEqualTo("ok");
    }

    @Test
    @Order(5)
    void theBundleHoldsWhatAnExpertAsksFor() throws Exception {
        Path bundle = files.resolve("bundle.tar.gz");
        InProcess.Result r = Cli.run("diagnose", "bundle", "-f", bundle.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("wrote " + bundle);
        Exec list = exec("tar", "tzf", bundle.toString());
        assertThat(list.exit()).isZero();
        List<String> names = list.out().lines().map(n -> n.substring(n.indexOf('/') + 1)).toList();
        assertThat(names).contains("MANIFEST.txt", "diagnose.json", "weir/status.json", "weir/endpoint-list.json",
                "weir/identity-list.json", "weir/service-list.json", "weir/bpf-map-list.json", "weir/bpf-prog-list.json",
                "weir/net.json", "weir/probe.json", "weir/policy/x-a.json", "weir/prefilter-node1.json", "metrics/node1.txt",
                "logs/node1.log", "logs/node2.log", "bpftool/prog.json", "bpftool/map.json", "bpftool/link.json",
                "bpftool/net-weir-node1.json", "ip/weir-node1/addr.json", "ip/weir-node1/route-4.json",
                "ip/weir-node2/link.json", "tc/weir-node1/qdisc.json");
        assertThat(names).noneSatisfy(n -> assertThat(n).endsWith(".pcap"));
        Exec status = exec("tar", "xzOf", bundle.toString(), list.out().lines().filter(n -> n.endsWith("weir/status.json"))
                .findFirst().orElseThrow());
        assertThat(Json.mapper().readTree(status.out()).path("nodes")).hasSize(2);
    }

    private static JsonNode diagnose(int exit) {
        InProcess.Result r = Cli.run("diagnose", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
        return read(r.out());
    }

    private static JsonNode path(String src, String dst, String port) {
        InProcess.Result r = Cli.run("diagnose", "path", src, dst, port, "-o", "json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return read(r.out());
    }

    private static JsonNode check(JsonNode d, String id) {
        return d.path("checks").valueStream().filter(c -> c.path("id").asText().equals(id)).findFirst().orElseThrow();
    }

    private static JsonNode read(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError(json, e);
        }
    }

    private static String write(String name, String text) throws java.io.IOException {
        return Files.writeString(files.resolve(name), text).toString();
    }

    /** Detaches the foreign program and removes libxdp's (empty) pin directory when the test made it. */
    private static void unloadForeignXdp() {
        if (Files.exists(Path.of(NODE1_NETNS))) {
            exec("nsenter", "--net=" + NODE1_NETNS, "xdp-loader", "unload", "lxc-x-a", "--all");
        }
        if (!libxdpPinsBefore && Files.isDirectory(LIBXDP_PINS)) {
            try {
                Files.delete(LIBXDP_PINS);
            } catch (java.io.IOException e) {
                throw new AssertionError("libxdp left pins in " + LIBXDP_PINS + ": " + e, e);
            }
        }
    }

    private record Exec(int exit, String out) {
    }

    private static Exec exec(String... command) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Exec(p.waitFor(), out);
        } catch (java.io.IOException e) {
            return new Exec(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Exec(-1, "interrupted");
        }
    }
}
