package dev.weir.cli.diagnose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.net.Protocol;
import dev.weir.cli.Cli;
import dev.weir.cli.InProcess;
import dev.weir.cli.UserError;
import dev.weir.cli.output.Json;

/**
 * {@code weir diagnose} without a lab: parsing and bad input (exit 2, nothing written), the pure parts of
 * {@code path} (PROTO/PORT, parties, the prefilter rule a packet meets, the kernel's agreement), the metrics text
 * reader, and the bundle's archive format read back by {@code tar}. No agent runs: the run root is an empty
 * directory.
 */
class DiagnoseCommandLineTest {

    @TempDir
    Path dir;

    @BeforeEach
    void noAgents() {
        System.setProperty("weir.runRoot", dir.resolve("run").toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty("weir.runRoot");
    }

    @Test
    void helpNamesEveryCheckAndSubcommand() {
        InProcess.Result r = Cli.run("diagnose", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("path", "bundle", "foreign-programs", "dns-egress", "xdp-drops", "skew", "--node", "-o");
        assertThat(Cli.run("diagnose", "path", "--help").out()).contains("SRC", "DST", "PROTO/PORT", "--ipv6");
        assertThat(Cli.run("diagnose", "bundle", "--help").out()).contains("-f", "MANIFEST.txt", "payload");
    }

    @Test
    void badInputExitsTwo() throws Exception {
        assertThat(Cli.run("diagnose", "-o", "yaml").exit()).isEqualTo(2);
        assertThat(Cli.run("diagnose", "path", "x/a").exit()).isEqualTo(2);
        InProcess.Result port = Cli.run("diagnose", "path", "x/a", "y/b", "TCP/70000");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.err()).contains("'TCP/70000': port '70000' is not 1-65535");
        InProcess.Result proto = Cli.run("diagnose", "path", "x/a", "y/b", "GRE/80");
        assertThat(proto.exit()).isEqualTo(2);
        assertThat(proto.err()).contains("unknown protocol");
        assertThat(Cli.run("diagnose", "--node", "nosuch").err()).contains("no agent for node nosuch");
        assertThat(Cli.run("diagnose", "--node", "nosuch").exit()).isEqualTo(2);

        Path existing = Files.writeString(dir.resolve("kept.tar.gz"), "mine");
        InProcess.Result exists = Cli.run("diagnose", "bundle", "-f", existing.toString());
        assertThat(exists.exit()).isEqualTo(2);
        assertThat(exists.err()).contains("exists", "nothing was written");
        assertThat(Files.readString(existing)).isEqualTo("mine");
        InProcess.Result noDir = Cli.run("diagnose", "bundle", "-f", dir.resolve("no/such/b.tar.gz").toString());
        assertThat(noDir.exit()).isEqualTo(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("kept.tar.gz");
        }
    }

    @Test
    void withoutAgentsDiagnoseFailsTheAgentsCheck() {
        InProcess.Result r = Cli.run("diagnose", "-o", "json");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        JsonNode j = json(r.out());
        assertThat(j.path("checks").get(0).path("id").asText()).isEqualTo("agents");
        assertThat(j.path("checks").get(0).path("verdict").asText()).isEqualTo("fail");
        assertThat(j.path("summary").path("fail").asLong()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void portSpecs() {
        assertThat(PathLogic.portSpec("tcp/80")).isEqualTo(new PathLogic.PortSpec(Protocol.TCP, 80));
        assertThat(PathLogic.portSpec("UDP/53").toString()).isEqualTo("UDP/53");
        assertThat(PathLogic.portSpec("ICMP")).isEqualTo(new PathLogic.PortSpec(Protocol.ICMP, 0));
        assertThatThrownBy(() -> PathLogic.portSpec("TCP")).isInstanceOf(UserError.class).hasMessageContaining("PROTO/PORT");
        assertThatThrownBy(() -> PathLogic.portSpec("ICMP/8")).isInstanceOf(UserError.class).hasMessageContaining("no ports");
        assertThatThrownBy(() -> PathLogic.portSpec("TCP/0")).isInstanceOf(UserError.class);
        assertThatThrownBy(() -> PathLogic.portSpec("TCP/x")).isInstanceOf(UserError.class);
    }

    @Test
    void partiesArePodsOrAddresses() {
        ObjectNode xa = Json.mapper().createObjectNode().put("namespace", "x").put("name", "a").put("node", "node1")
                .put("ipv4", "10.244.1.10").put("ipv6", "fd00:10:244:1::10");
        Map<String, JsonNode> pods = Map.of("x/a", xa);
        assertThat(PathCommand.party("x/a", pods, 6).path("address").asText()).isEqualTo("fd00:10:244:1::10");
        assertThat(PathCommand.party("10.244.1.10", pods, 4).path("name").asText()).isEqualTo("x/a (10.244.1.10)");
        assertThat(PathCommand.party("192.168.100.200", pods, 4).has("pod")).isFalse();
        assertThatThrownBy(() -> PathCommand.party("x/q", pods, 4)).isInstanceOf(UserError.class).hasMessageContaining("no pod x/q");
        assertThatThrownBy(() -> PathCommand.party("10.244.1", pods, 4)).isInstanceOf(UserError.class);
        assertThatThrownBy(() -> PathCommand.party("fd00::1", pods, 4)).isInstanceOf(UserError.class).hasMessageContaining("IPv4");
    }

    @Test
    void thePrefilterRuleAPacketMeets() {
        JsonNode deny = json("""
                {"mode": "denylist", "dryRun": false, "rules": [
                  {"id": 1, "action": "allow", "src": null, "dst": null, "proto": "tcp", "dport": "80-81", "dryRun": false, "match": "tcp dport 80-81"},
                  {"id": 2, "action": "deny", "src": "192.168.100.0/24", "dst": null, "proto": null, "dport": null, "dryRun": false, "match": "src 192.168.100.0/24"},
                  {"id": 3, "action": "deny", "src": null, "dst": "10.244.1.10/32", "proto": "udp", "dport": "53", "dryRun": true, "match": "dst 10.244.1.10/32 udp dport 53"}]}
                """);
        var tcp80 = new PathLogic.PortSpec(Protocol.TCP, 80);
        assertThat(PathLogic.prefilter(deny, "192.168.100.200", "10.244.1.10", tcp80))
                .isEqualTo(new PathLogic.PrefilterVerdict("DROPPED", "#2 deny src 192.168.100.0/24", "a deny rule matches (deny beats allow)"));
        assertThat(PathLogic.prefilter(deny, "10.244.2.20", "10.244.1.10", tcp80).verdict()).isEqualTo("PASSED");
        assertThat(PathLogic.prefilter(deny, "10.244.2.20", "10.244.1.10", tcp80).rule()).startsWith("#1 allow");
        assertThat(PathLogic.prefilter(deny, "10.244.2.20", "10.244.1.10", new PathLogic.PortSpec(Protocol.UDP, 53)).verdict())
                .isEqualTo("WOULD-DROP");
        assertThat(PathLogic.prefilter(deny, "10.244.2.20", "10.244.1.20", new PathLogic.PortSpec(Protocol.UDP, 53)).why())
                .isEqualTo("no rule matches (denylist mode)");
        JsonNode allowlist = json("{\"mode\": \"allowlist\", \"rules\": []}");
        assertThat(PathLogic.prefilter(allowlist, "10.244.2.20", "10.244.1.10", tcp80).verdict()).isEqualTo("DROPPED");
    }

    @Test
    void theKernelsFlowsAgreeOrNot() {
        List<JsonNode> flows = List.of(
                flow("12:00:00", "node2", "EGRESS", "FORWARDED", "10.244.2.20", "10.244.1.10", false),
                flow("12:00:00", "node1", "INGRESS", "FORWARDED", "10.244.2.20", "10.244.1.10", false),
                flow("12:00:01", "node1", "INGRESS", "FORWARDED", "10.244.1.10", "10.244.2.20", true),
                flow("12:00:05", "node1", "INGRESS", "DROPPED", "10.244.2.20", "10.244.1.10", false),
                flow("12:00:09", "node1", "INGRESS", "DROPPED", "10.244.3.10", "10.244.1.10", false));
        PathLogic.Agreement a = PathLogic.agreement(flows, "10.244.2.20", Set.of("10.244.1.10"), "DENIED");
        assertThat(a.answer()).isEqualTo("agrees");
        assertThat(a.kernelVerdict()).isEqualTo("DROPPED");
        assertThat(a.flows()).hasSize(2).anySatisfy(l -> assertThat(l).contains("12:00:05Z node1 INGRESS DROPPED"));
        assertThat(PathLogic.agreement(flows, "10.244.2.20", Set.of("10.244.1.10"), "ALLOWED").answer()).isEqualTo("disagrees");
        assertThat(PathLogic.agreement(flows.subList(0, 2), "10.244.2.20", Set.of("10.244.1.10"), "ALLOWED").answer()).isEqualTo("agrees");
        assertThat(PathLogic.agreement(flows, "10.244.9.9", Set.of("10.244.1.10"), "ALLOWED").answer()).isEqualTo("unknown");
    }

    @Test
    void metricsTextSamplesSummedByLabel() {
        MetricsText m = MetricsText.parse("""
                # HELP weir_drop_count_total Flows dropped
                # TYPE weir_drop_count_total counter
                weir_drop_count_total{direction="INGRESS",reason="POLICY_DENIED"} 3.0
                weir_drop_count_total{direction="EGRESS",reason="POLICY_DENIED"} 2.0
                weir_drop_count_total{reason="CT_MAP_INSERTION_FAILED",direction="EGRESS"} 1.0 1733486400000
                weir_bpf_map_pressure{map_name="lb_backend"} 0.25
                weir_sync_duration_seconds_sum{step="compile"} 0.5
                process_cpu_seconds_total 12.5
                """);
        assertThat(m.sumBy("weir_drop_count_total", "reason")).isEqualTo(Map.of("POLICY_DENIED", 5.0, "CT_MAP_INSERTION_FAILED", 1.0));
        assertThat(m.sumBy("weir_bpf_map_pressure", "map_name")).isEqualTo(Map.of("lb_backend", 0.25));
        assertThat(m.sumBy("process_cpu_seconds_total", "x")).isEqualTo(Map.of("", 12.5));
    }

    @Test
    void theArchiveIsWhatTarReads() throws Exception {
        Path archive = dir.resolve("b.tar.gz");
        String longName = "top/" + "d".repeat(80) + "/" + "f".repeat(60) + ".json";
        try (var os = Files.newOutputStream(archive); TarGz tar = new TarGz(os, 1_733_486_400L)) {
            tar.add("top/MANIFEST.txt", "a\tb\n");
            tar.add("top/weir/status.json", "{\"nodes\": []}\n");
            tar.add(longName, "x".repeat(513));
        }
        Process list = new ProcessBuilder("tar", "tzf", archive.toString()).redirectErrorStream(true).start();
        String names = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(list.waitFor()).as(names).isZero();
        assertThat(names.lines()).containsExactly("top/MANIFEST.txt", "top/weir/status.json", longName);
        Process cat = new ProcessBuilder("tar", "xzOf", archive.toString(), "top/weir/status.json").start();
        assertThat(new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"nodes\": []}\n");
        assertThat(cat.waitFor()).isZero();
    }

    private static JsonNode flow(String t, String node, String dir, String verdict, String src, String dst, boolean reply) {
        ObjectNode f = Json.mapper().createObjectNode().put("time", "2026-12-06T" + t + "Z").put("node_name", node)
                .put("traffic_direction", dir).put("verdict", verdict).put("is_reply", reply);
        f.putObject("IP").put("source", src).put("destination", dst);
        return f;
    }

    private static JsonNode json(String s) {
        try {
            return Json.mapper().readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(s, e);
        }
    }
}
