package dev.weir.agent.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.runtime.Agent;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.agent.runtime.ConntrackReader;
import dev.weir.agent.runtime.Kvstore;
import dev.weir.agent.runtime.PlaceholderStateCompiler;
import dev.weir.agent.runtime.RecordingDataplane;
import dev.weir.agent.runtime.StateView;
import dev.weir.testkit.Requirements;

/**
 * weir-cni driven exactly as a container runtime drives a plugin (a network namespace, the CNI_* environment, the
 * network configuration on stdin), against a real agent whose CNI server wires real veths between namespaces this
 * test creates; the agent's dataplane is the recording test double, so this is about the plugin and the wiring,
 * not BPF (the lab tests cover that). Needs root.
 */
class CniPluginTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String NODE_NS = "weir-cnit-node";
    private static final String PREFIX = "weir-cnit-pod";

    @TempDir
    Path dir;

    private final List<String> namespaces = new ArrayList<>();
    private Agent<StateView> agent;
    private Path plugin;

    @BeforeEach
    void start() throws Exception {
        Requirements.root();
        cleanup();
        netns(NODE_NS);
        // the node's own address, the source of what the node sends its pods
        sh("ip", "-n", NODE_NS, "link", "set", "lo", "up");
        sh("ip", "-n", NODE_NS, "addr", "add", "192.168.100.1/32", "dev", "lo");
        AgentConfig config = new AgentConfig("node1", dir.resolve("store"), dir.resolve("run"), dir.resolve("agent.log"),
                dir.resolve("lab.json"), 100, Duration.ofMillis(200), null, AgentConfig.Kvstore.FILE,
                new AgentConfig.Site(NODE_NS, "192.168.100.1", null, null, List.of(Cidr.parse("10.251.0.0/29"),
                        Cidr.parse("fd00:251::/120")), null));
        agent = new Agent<>(config, new Agent.Parts<>(new PlaceholderStateCompiler(), new RecordingDataplane<>(),
                ConntrackReader.NONE), Kvstore.file(config), m -> { });
        agent.start();
        CniInstall.install(dir.resolve("bin"), dir.resolve("net.d"), config.runDir().resolve(Agent.CNI_SOCKET), null);
        plugin = dir.resolve("bin").resolve(CniInstall.PLUGIN);
    }

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.stop();
        }
        cleanup();
    }

    @Test
    void addCheckDelAsARuntimeDoes() throws Exception {
        String pod = netns(PREFIX + "1");
        String config = conf("1.0.0", """
                "args": {"cni": {"labels": [{"key": "pod", "value": "a"}, {"key": "app", "value": "web"}],
                                 "ips": ["10.251.0.5", "fd00:251::5/128"]}}""");
        Run add = run("ADD", "c1", pod, "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a;IgnoreUnknown=1", config);
        assertThat(add.exit()).as(add.toString()).isZero();
        JsonNode result = MAPPER.readTree(add.stdout());
        assertThat(result.path("cniVersion").asText()).isEqualTo("1.0.0");
        assertThat(result.path("interfaces").get(0).path("name").asText()).isEqualTo("lxc-x-a");
        assertThat(result.path("interfaces").get(0).path("mac").asText()).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
        assertThat(result.path("interfaces").get(1).path("name").asText()).isEqualTo("eth0");
        assertThat(result.path("interfaces").get(1).path("sandbox").asText()).isEqualTo(pod);
        assertThat(result.path("ips").findValuesAsText("address")).containsExactly("10.251.0.5/32", "fd00:251::5/128");
        assertThat(result.path("ips").get(0).path("interface").asInt()).isEqualTo(1);
        assertThat(result.path("ips").get(0).has("version")).as("1.0.0 results carry no version per IP").isFalse();

        // the wiring, as the kernel has it
        assertThat(sh("ip", "-n", PREFIX + "1", "-o", "addr", "show", "dev", "eth0")).contains("10.251.0.5/32", "fd00:251::5/128");
        assertThat(sh("ip", "-n", PREFIX + "1", "route")).contains("default via 169.254.1.1 dev eth0");
        assertThat(sh("ip", "-n", NODE_NS, "route")).contains("10.251.0.5 dev lxc-x-a scope link src 192.168.100.1");
        assertThat(sh("ip", "-n", NODE_NS, "-o", "addr", "show", "dev", "lxc-x-a")).contains("169.254.1.1/32");

        // ADD answered once the sync loop had the endpoint: it is in the applied state, labels and all
        Endpoint e = agent.syncState().cluster().endpoint("x", "a").orElseThrow();
        assertThat(e.labels()).containsEntry("pod", "a").containsEntry("app", "web");
        assertThat(e.iface()).isEqualTo("lxc-x-a");
        assertThat(e.ipv4()).isEqualTo("10.251.0.5");
        assertThat(e.ipv6()).isEqualTo("fd00:251::5");

        String withPrev = conf("1.0.0", "\"prevResult\": " + add.stdout());
        Run check = run("CHECK", "c1", pod, "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", withPrev);
        assertThat(check.exit()).as(check.toString()).isZero();

        Run again = run("ADD", "c1", pod, "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", config);
        assertThat(again.exit()).as("a retried ADD answers the same attachment: " + again).isZero();
        assertThat(MAPPER.readTree(again.stdout()).path("ips")).isEqualTo(result.path("ips"));

        Run del = run("DEL", "c1", pod, "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", config);
        assertThat(del.exit()).as(del.toString()).isZero();
        assertThat(del.stdout()).isEmpty();
        assertThat(sh("ip", "-n", NODE_NS, "link")).doesNotContain("lxc-x-a");
        assertThat(Files.readString(dir.resolve("run").resolve(CniEndpoints.FILE))).doesNotContain("lxc-x-a");
        awaitGone("x", "a");

        assertThat(run("DEL", "c1", pod, "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", config).exit()).as("DEL twice").isZero();
        Run checkGone = run("CHECK", "c1", pod, "K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", withPrev);
        assertThat(checkGone.exit()).isNotZero();
        assertThat(MAPPER.readTree(checkGone.stdout()).path("code").asInt()).isEqualTo(CniException.UNKNOWN_CONTAINER);
    }

    @Test
    void theAgentAllocatesFromItsPodCidrsAndOlderVersionsGetTheirResultShape() throws Exception {
        String p1 = netns(PREFIX + "1");
        String p2 = netns(PREFIX + "2");
        Run a = run("ADD", "c1", p1, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=first", conf("0.4.0", null));
        Run b = run("ADD", "c2", p2, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=second-pod-with-a-long-name", conf("1.0.0", null));
        assertThat(a.exit()).as(a.toString()).isZero();
        assertThat(b.exit()).as(b.toString()).isZero();
        JsonNode ra = MAPPER.readTree(a.stdout());
        assertThat(ra.path("cniVersion").asText()).isEqualTo("0.4.0");
        assertThat(ra.path("ips").findValuesAsText("version")).containsExactly("4", "6");
        assertThat(ra.path("ips").findValuesAsText("address")).containsExactly("10.251.0.1/32", "fd00:251::1/128");
        JsonNode rb = MAPPER.readTree(b.stdout());
        assertThat(rb.path("ips").findValuesAsText("address")).containsExactly("10.251.0.2/32", "fd00:251::2/128");
        assertThat(rb.path("interfaces").get(0).path("name").asText()).as("too long for lxc-<ns>-<pod>").matches("lxc[0-9a-f]{12}");

        // a pod whose namespace is already gone: DEL still succeeds and cleans the host side
        sh("ip", "netns", "del", PREFIX + "2");
        assertThat(run("DEL", "c2", p2, "K8S_POD_NAMESPACE=default;K8S_POD_NAME=second-pod-with-a-long-name",
                conf("1.0.0", null)).exit()).isZero();
        assertThat(sh("ip", "-n", NODE_NS, "link")).doesNotContain(rb.path("interfaces").get(0).path("name").asText());
    }

    @Test
    void aDelegatedIpamPluginGivesTheAddresses() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/lib/cni/host-local")),
                "Debian's containernetworking-plugins (host-local in /usr/lib/cni; scripts/setup.sh installs it)");
        String pod = netns(PREFIX + "1");
        String ipam = "\"ipam\": {\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"10.252.0.0/24\"}]], \"dataDir\": \""
                + dir.resolve("host-local") + "\"}";
        Run add = run("ADD", "c1", pod, "IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", conf("1.0.0", ipam));
        assertThat(add.exit()).as(add.toString()).isZero();
        assertThat(MAPPER.readTree(add.stdout()).path("ips").findValuesAsText("address")).containsExactly("10.252.0.2/32");
        assertThat(Files.exists(dir.resolve("host-local/weir/10.252.0.2"))).as("host-local recorded it").isTrue();
        assertThat(run("DEL", "c1", pod, "IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=a", conf("1.0.0", ipam)).exit()).isZero();
        assertThat(Files.exists(dir.resolve("host-local/weir/10.252.0.2"))).as("DEL gave it back").isFalse();
    }

    @Test
    void badInputGetsTheSpecsErrorCodesAndChangesNothing() throws Exception {
        String pod = netns(PREFIX + "1");
        Run version = run("VERSION", "", "", "", "{\"cniVersion\":\"1.0.0\"}");
        assertThat(version.exit()).isZero();
        assertThat(MAPPER.readTree(version.stdout()).path("supportedVersions").findValuesAsText(""))
                .isEmpty();
        assertThat(MAPPER.readTree(version.stdout()).path("supportedVersions").toString()).contains("1.0.0", "0.4.0");

        assertThat(code(run("ADD", "c1", pod, "", conf("9.9.9", null)))).isEqualTo(CniException.INCOMPATIBLE_VERSION);
        assertThat(code(run("ADD", "c1", pod, "", "{not json"))).isEqualTo(CniException.DECODING_FAILURE);
        assertThat(code(run("ADD", "c1", "", "", conf("1.0.0", null)))).isEqualTo(CniException.INVALID_ENVIRONMENT);
        assertThat(code(run("ADD", "c1", pod, "", conf("1.0.0", "\"mtu\": 99")))).isEqualTo(CniException.INVALID_CONFIG);
        assertThat(code(run("CHECK", "c1", pod, "", conf("0.3.1", null)))).as("CHECK came with 0.4.0")
                .isEqualTo(CniException.INCOMPATIBLE_VERSION);
        assertThat(code(run("ADD", "c1", pod, "", conf("1.0.0", "\"args\": {\"cni\": {\"ips\": [\"10.251.0.1\", \"10.251.0.2\"]}}"))))
                .as("two addresses of one family").isEqualTo(CniException.INVALID_CONFIG);
        assertThat(code(run("ADD", "c1", pod, "", conf("1.0.0", "\"args\": {\"cni\": {\"ips\": [\"10.99.0.1\"]}}"))))
                .as("outside the pod CIDRs").isEqualTo(CniException.INVALID_CONFIG);
        assertThat(sh("ip", "-n", NODE_NS, "-o", "link")).as("nothing was wired").doesNotContain("lxc");
        assertThat(agent.syncState().cluster().endpoints()).isEmpty();

        agent.stop();
        agent = null;
        Run down = run("ADD", "c1", pod, "", conf("1.0.0", null));
        assertThat(code(down)).as("an agent that is down: try again later").isEqualTo(CniException.TRY_AGAIN_LATER);
        assertThat(MAPPER.readTree(down.stdout()).path("msg").asText()).contains("not running");
    }

    // --- helpers

    record Run(int exit, String stdout, String stderr) {
    }

    private static int code(Run r) throws IOException {
        assertThat(r.exit()).as(r.toString()).isNotZero();
        return MAPPER.readTree(r.stdout()).path("code").asInt();
    }

    private static String conf(String version, String extra) {
        return "{\"cniVersion\": \"" + version + "\", \"name\": \"weir\", \"type\": \"weir-cni\""
                + (extra == null ? "" : ", " + extra) + "}";
    }

    private Run run(String command, String container, String netns, String args, String config) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(plugin.toString());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CNI_"));
        env.putAll(new TreeMap<>(Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", container, "CNI_NETNS", netns,
                "CNI_IFNAME", "eth0", "CNI_ARGS", args, "CNI_PATH", dir.resolve("bin") + ":/usr/lib/cni")));
        Process p = pb.start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(config.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // a plugin may answer (an error) before it reads everything
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return new Run(p.waitFor(), out, err);
    }

    private void awaitGone(String namespace, String name) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (agent.syncState().cluster().endpoint(namespace, name).isPresent()) {
            assertThat(System.nanoTime()).as(namespace + "/" + name + " leaves the applied state").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private String netns(String name) throws Exception {
        sh("ip", "netns", "add", name);
        namespaces.add(name);
        return "/run/netns/" + name;
    }

    private void cleanup() throws Exception {
        for (String ns : sh("ip", "netns", "list").lines().map(l -> l.split(" ")[0]).toList()) {
            if (ns.startsWith("weir-cnit-")) {
                sh("ip", "netns", "del", ns);
            }
        }
        namespaces.clear();
    }

    private static String sh(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed: " + out);
        }
        return out;
    }
}
