package dev.weir.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import dev.weir.lab.host.LabPaths;
import dev.weir.lab.model.NetpolModel;

/** The status JSON is a contract (README.md): its field names and shape must not drift. */
class LabStateJsonTest {

    private final LabPaths paths = new LabPaths("/run/weir/lab", "/run/weir/lab/lab.json", "/run/weir/lab/pods",
            "/run/weir/lab/logs", "/sys/fs/cgroup/unified/weir-lab");
    private final LabState state = LabState.of(NetpolModel.build(2), "2026-01-01T00:00:00Z",
            Map.of("x/a", new AgentState("x/a", 42, "/run/weir/lab/pods/x-a.sock", "/run/weir/lab/logs/x-a.log",
                    "/sys/fs/cgroup/unified/weir-lab/x-a", true)), paths);

    @Test
    void topLevelShape() throws Exception {
        JsonNode json = StateStore.MAPPER.valueToTree(state);
        assertThat(fields(json)).containsExactly("model", "createdAt", "nodes", "namespaces", "pods", "ext",
                "underlay", "services", "agents", "paths");
        assertThat(json.get("model").asText()).isEqualTo("netpol");
        assertThat(fields(json.get("services"))).containsExactly("ipv4", "ipv6", "nodePortMin", "nodePortMax");
        assertThat(json.get("services").get("nodePortMax").asInt()).isEqualTo(32767);
    }

    @Test
    void nodesPodsAndExt() {
        JsonNode json = StateStore.MAPPER.valueToTree(state);
        JsonNode node = json.get("nodes").get(0);
        assertThat(fields(node)).containsExactly("name", "netns", "underlayInterface", "ipv4", "ipv6", "interfaces");
        JsonNode pod = json.get("pods").get(2);
        assertThat(fields(pod)).containsExactly("namespace", "name", "node", "netns", "ipv4", "ipv6", "labels",
                "hostInterface");
        assertThat(pod.get("ipv6").asText()).isEqualTo("fd00:10:244:1::30");
        assertThat(pod.get("labels").get("pod").asText()).isEqualTo("c");
        assertThat(fields(json.get("ext"))).containsExactly("netns", "underlayInterface", "ipv4", "ipv6", "routes");
        assertThat(fields(json.get("ext").get("routes").get(0))).containsExactly("prefix", "via", "node");
        assertThat(fields(json.get("namespaces").get(0).get("labels")))
                .containsExactly("kubernetes.io/metadata.name", "ns");
        assertThat(fields(json.get("agents").get("x/a")))
                .containsExactly("id", "pid", "socket", "log", "cgroup", "alive");
    }

    @Test
    void roundTripsThroughTheStateFile() throws Exception {
        String text = StateStore.MAPPER.writeValueAsString(state);
        assertThat(StateStore.MAPPER.readValue(text, LabState.class)).isEqualTo(state);
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
