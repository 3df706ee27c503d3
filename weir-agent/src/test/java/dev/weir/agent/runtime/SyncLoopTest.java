package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weir.agent.endpoint.EndpointIds;
import dev.weir.agent.endpoint.LabEndpointSource;
import dev.weir.agent.store.FileStore;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.ObjectKey;

/** The order in which a sync tells its readers, publishes its state and tells its listeners. */
class SyncLoopTest {

    @TempDir
    Path dir;

    private static final String LAB = """
            {"nodes":[{"name":"node1","netns":"weir-node1","ipv4":"192.168.100.1"}],
             "namespaces":[{"name":"x","labels":{"ns":"x"}}],
             "pods":[{"namespace":"x","name":"a","node":"node1","ipv4":"10.244.1.10","labels":{"pod":"a"},"hostInterface":"lxc-x-a"}]}
            """;

    @Test
    void readersKnowARevisionBeforeAnyoneCanSeeItAppliedAndListenersAfter() throws Exception {
        Files.writeString(dir.resolve("lab.json"), LAB);
        FileStore store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        AtomicReference<SyncLoop<StateView>> loop = new AtomicReference<>();
        List<String> seen = new ArrayList<>();
        loop.set(new SyncLoop<>(new SyncLoop.Config("node1", null, null), store,
                new LabEndpointSource(new LabEndpointSource.Config(dir.resolve("lab.json")), new EndpointIds(store)),
                new PlaceholderStateCompiler(), new RecordingDataplane<>(),
                List.of(s -> seen.add("reader told " + s.appliedRevision() + ", published " + loop.get().state().appliedRevision())),
                List.of(s -> seen.add("listener told " + s.appliedRevision() + ", published " + loop.get().state().appliedRevision())),
                m -> { }, t -> { }));
        loop.get().syncOnce();
        store.commit(List.of(new Change.Put(new ObjectKey("NetworkPolicy", "x", "deny"), """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: deny, namespace: x}
                spec: {podSelector: {}}
                """, "x.yaml")));
        loop.get().syncOnce();

        assertThat(seen).containsExactly(
                "reader told 0, published 0", "listener told 0, published 0",
                "reader told 1, published 0", "listener told 1, published 1");
    }
}
