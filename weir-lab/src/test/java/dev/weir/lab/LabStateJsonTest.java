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
                    "/sys/fs/cgroup/unified/weir-lab/x-a", true)), paths, KvstoreState.file("/var/lib/weir/lab/store"), "tunnel");
    private final KvstoreState etcd = KvstoreState.etcd(List.of(
            new KvstoreState.Member("etcd1", "http://127.0.0.1:23790", "http://127.0.0.1:23791", 4711,
                    "/dev/shm/weir-lab-etcd/etcd1", "/run/weir/lab/logs/etcd1.log", true, true),
            new KvstoreState.Member("etcd2", "http://127.0.0.1:23792", "http://127.0.0.1:23793", 4712,
                    "/dev/shm/weir-lab-etcd/etcd2", "/run/weir/lab/logs/etcd2.log", true, false)));

    @Test
    void topLevelShape() throws Exception {
        JsonNode json = StateStore.MAPPER.valueToTree(state);
        assertThat(fields(json)).containsExactly("model", "createdAt", "nodes", "namespaces", "pods", "ext",
                "underlay", "services", "agents", "paths", "kvstore", "routing");
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
        LabState withEtcd = state.with(state.agents(), etcd);
        String etcdText = StateStore.MAPPER.writeValueAsString(withEtcd);
        assertThat(StateStore.MAPPER.readValue(etcdText, LabState.class)).isEqualTo(withEtcd);
    }

    @Test
    void fileKvstoreNamesItsDirectory() {
        JsonNode kv = StateStore.MAPPER.valueToTree(state).get("kvstore");
        assertThat(fields(kv)).containsExactly("kind", "dir");
        assertThat(kv.get("kind").asText()).isEqualTo("file");
        assertThat(kv.get("dir").asText()).isEqualTo("/var/lib/weir/lab/store");
    }

    @Test
    void etcdKvstoreListsItsMembers() {
        JsonNode kv = StateStore.MAPPER.valueToTree(state.with(state.agents(), etcd)).get("kvstore");
        assertThat(fields(kv)).containsExactly("kind", "endpoints", "members");
        assertThat(kv.get("kind").asText()).isEqualTo("etcd");
        assertThat(kv.get("endpoints").asText()).isEqualTo("http://127.0.0.1:23790,http://127.0.0.1:23792");
        assertThat(kv.get("members")).hasSize(2);
        JsonNode m = kv.get("members").get(1);
        assertThat(fields(m)).containsExactly("name", "clientUrl", "peerUrl", "pid", "dataDir", "log", "alive", "healthy");
        assertThat(m.get("name").asText()).isEqualTo("etcd2");
        assertThat(m.get("clientUrl").asText()).isEqualTo("http://127.0.0.1:23792");
        assertThat(m.get("pid").asLong()).isEqualTo(4712);
        assertThat(m.get("healthy").asBoolean()).isFalse();
    }

    @Test
    void stateWithoutKvstoreStillReadsAndWritesWithout() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode old = StateStore.MAPPER.valueToTree(state);
        old.remove("kvstore");
        LabState read = StateStore.MAPPER.treeToValue(old, LabState.class);
        assertThat(read.kvstore()).isNull();
        assertThat(read.agents()).isEqualTo(state.agents());
        assertThat(fields(StateStore.MAPPER.valueToTree(read))).doesNotContain("kvstore");
    }

    private static List<String> fields(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
