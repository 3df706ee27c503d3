package dev.weir.agent.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.store.FileStore;

/** lab.json to endpoints: a pod's cgroup is its lab agent's ({@code agents["ns/pod"].cgroup}). */
class LabEndpointSourceTest {

    @TempDir
    Path store;

    @Test
    void aPodsCgroupComesFromItsAgent() throws Exception {
        var lab = new ObjectMapper().readTree("""
                {"nodes":[{"name":"node1","netns":"weir-node1"}],
                 "pods":[{"namespace":"x","name":"a","node":"node1","ipv4":"10.244.1.10","labels":{"pod":"a"},"hostInterface":"lxc-x-a"},
                         {"namespace":"x","name":"b","node":"node1","ipv4":"10.244.1.20","labels":{"pod":"b"},"hostInterface":"lxc-x-b"}],
                 "agents":{"x/a":{"id":"x/a","cgroup":"/sys/fs/cgroup/unified/weir-lab/x-a"},
                           "ext":{"id":"ext","cgroup":"/sys/fs/cgroup/unified/weir-lab/ext"}}}
                """);
        LabEndpointSource source = new LabEndpointSource(new LabEndpointSource.Config(null),
                new EndpointIds(new FileStore(FileStore.Config.of(store))));
        var endpoints = source.parse(lab).endpoints();
        assertThat(endpoints).extracting(Endpoint::key, Endpoint::cgroup)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("x/a", "/sys/fs/cgroup/unified/weir-lab/x-a"),
                        org.assertj.core.groups.Tuple.tuple("x/b", null));
    }
}
