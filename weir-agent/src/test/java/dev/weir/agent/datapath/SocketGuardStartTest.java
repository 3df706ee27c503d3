package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.datapath.guard.GuardVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.testkit.Requirements;

/**
 * {@link SocketGuard#start} on a pin directory of the test's own (root, bpffs): a {@code guard_pods} pinned with
 * another value layout (what an agent before guards were merged left) is removed and pinned again in this
 * layout, rather than failing the start. Every pin is removed afterwards.
 */
class SocketGuardStartTest {

    @Test
    void aGuardPodsPinOfAnOlderLayoutIsReplacedAtStart() throws IOException {
        Requirements.rootWithBpffs();
        Path dir = Path.of("/sys/fs/bpf/weir-guard-start-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectories(dir);
        List<String> log = new ArrayList<>();
        SocketGuard guard = new SocketGuard(dir, log::add);
        try (BpfObject tc = BpfObject.load(ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT)),
                LoadOptions.builder().maxEntries(EndpointMaps.CT, 16384).build());
             BpfObject older = BpfObject.load(ObjectSpec.read(GuardMaps.OBJECT, Datapath.object(GuardMaps.OBJECT)))) {
            // a u64 -> u8 map where guard_pods is pinned: another value size, as an older layout's
            older.map(GuardMaps.BIND0, Codec.u64(), Codec.u8()).pin(dir.resolve(GuardMaps.PODS));
            guard.start(tc);
            assertThat(guard.state()).isEqualTo("on");
            assertThat(log).anyMatch(l -> l.contains("older layout"));
            try (BpfMap<Long, GuardVal> pods = BpfMap.fromPin(dir.resolve(GuardMaps.PODS), Codec.u64(), GuardVal.CODEC)) {
                assertThat(pods.keys()).as("pinned anew, in this layout").isEmpty();
            }
        } finally {
            guard.stop();
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        assertThat(dir).doesNotExist();
    }
}
