package dev.weir.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.prefilter.LockoutGuard;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.prefilter.PrefilterStore;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.FileStore;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * The lockout guard on both ways in, through the agent's parts: {@code weir apply} (the apply check) and the
 * imperative edits ({@code prefilter.edit}); both refuse, naming rule, protected traffic and how to force, and
 * store nothing; {@code force} (--force) lets the change through.
 */
class PrefilterLockoutGuardTest {

    static final String DENY_TCP = """
            apiVersion: weir.dev/v1
            kind: WeirPrefilter
            metadata: {name: deny-tcp}
            spec:
              rules:
              - {action: deny, protocol: TCP}
            """;

    @TempDir
    Path dir;

    private FileStore store;
    private ClusterCompiler compiler;
    private PrefilterApi api;

    @BeforeEach
    void setUp() {
        store = new FileStore(FileStore.Config.of(dir.resolve("store")));
        compiler = new ClusterCompiler(new InMemoryLbIdAllocator(), LbMapSizes.DEFAULTS, ServiceConfig.defaults(), false,
                LockoutGuard.of(null, true, null));
        var dp = new dev.weir.agent.prefilter.FakePrefilterDataplane("eth0");
        var node2 = new NodePrefilter("node2", dir.resolve("pins"), new PrefilterStore(dir.resolve("run")), ns -> dp, s -> { });
        SyncState synced = new SyncState(0, Instant.now(), null, 0, PrefilterDesiredStateTest.CLUSTER, StateView.EMPTY, 1);
        api = new PrefilterApi("node2", store, compiler, () -> synced, () -> { }, node2);
    }

    private void apply(String source, String yaml, boolean force) {
        List<Change> changes = compiler.parse(source, yaml).stream()
                .map(o -> (Change) new Change.Put(o.key(), o.document(), source)).toList();
        store.commit(changes, (before, after) -> compiler.check("node1", PrefilterDesiredStateTest.CLUSTER, before, after, force));
    }

    private JsonNode edit(String json) throws Exception {
        return api.handlers().get("prefilter.edit").handle(ApiProtocol.mapper().readTree(json));
    }

    @Test
    void applyRefusesUnlessForced() {
        long rev = store.revision();
        assertThatThrownBy(() -> apply("deny.yaml", DENY_TCP, false)).isInstanceOfSatisfying(PolicyInputException.class, e -> {
            assertThat(e.file()).isEqualTo("deny.yaml");
            assertThat(e.object()).isEqualTo("WeirPrefilter deny-tcp");
            assertThat(e.field()).isEqualTo("spec.rules");
            assertThat(e.problem()).contains("rule 'deny tcp' would drop protected traffic to tcp/22 (default: ssh)",
                    "--force");
        });
        assertThat(store.revision()).isEqualTo(rev);
        apply("deny.yaml", DENY_TCP, true);
        assertThat(store.revision()).isGreaterThan(rev);
        apply("forced.yaml", DENY_TCP.replace("deny-tcp", "forced").replace("rules:", "force: true\n  rules:")
                .replace("TCP}", "UDP, port: 22}"), false);
    }

    @Test
    void imperativeEditsRefuseUnlessForced() throws Exception {
        long rev = store.revision();
        String add = "{\"op\": \"add\", \"rules\": [{\"action\": \"deny\", \"src\": \"192.168.100.0/24\"}]";
        assertThatThrownBy(() -> edit(add + "}")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.isUserError()).isTrue();
            assertThat(e.getMessage()).contains("WeirPrefilter imperative-node2: spec.rules",
                    "rule 'deny src 192.168.100.0/24' would drop protected traffic from 192.168.100.1/32 (default: node node1's address)",
                    "(nothing was changed)");
        });
        assertThat(store.revision()).isEqualTo(rev);
        assertThatThrownBy(() -> edit("{\"op\": \"set\", \"mode\": \"allowlist\"}"))
                .hasMessageContaining("allowlist mode would drop protected traffic to tcp/22");
        assertThat(edit(add + ", \"force\": true}").path("outcome").asText()).isEqualTo("created");
    }
}
