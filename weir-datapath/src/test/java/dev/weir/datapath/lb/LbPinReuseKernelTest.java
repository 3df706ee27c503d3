package dev.weir.datapath.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import dev.weir.datapath.Datapath;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shared LB maps as the agent uses them: pinned by the first object that includes {@code lb.h},
 * reused by name by the next (here two loads of {@code sock_lb.o}; {@code tc_endpoint.o} includes the
 * same definitions). Pins are removed afterwards and checked.
 */
class LbPinReuseKernelTest {

    private final Path pins = Path.of("/sys/fs/bpf", "weir-lbtest-" + UUID.randomUUID().toString().substring(0, 8));

    @AfterEach
    void removePins() throws IOException {
        if (Files.exists(pins)) {
            try (Stream<Path> s = Files.walk(pins)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        assertThat(pins).doesNotExist();
    }

    @Test
    void aSecondObjectReusesThePinnedMaps() throws IOException {
        Requirements.rootWithBpffs();
        Files.createDirectory(pins);
        ObjectSpec spec = ObjectSpec.read(LbMaps.SOCK_OBJECT, Datapath.object(LbMaps.SOCK_OBJECT));
        LoadOptions opts = LoadOptions.builder().pinDirectory(pins).pinMaps(Set.copyOf(LbMaps.SHARED))
                .reusePinned(true).build();
        LbSvcKey key = LbSvcKey.of(InetAddress.getByName("10.96.0.10"), 80, LbMaps.TCP, LbMaps.SCOPE_ANY);
        LbSvcVal val = new LbSvcVal(1, 1, 2, LbMaps.F_MAGLEV, 1, 0, 16381);
        try (BpfObject first = BpfObject.load(spec, opts); BpfObject second = BpfObject.load(spec, opts)) {
            first.map(LbMaps.SVC, LbSvcKey.CODEC, LbSvcVal.CODEC).put(key, val);
            assertThat(second.map(LbMaps.SVC, LbSvcKey.CODEC, LbSvcVal.CODEC).lookup(key)).contains(val);
            for (String name : LbMaps.SHARED) {
                assertThat(pins.resolve(name)).exists();
                assertThat(mapId(second, spec, name)).as(name).isEqualTo(mapId(first, spec, name));
            }
            assertThat(pins.resolve(LbMaps.SOCK_STATS)).doesNotExist();
        }
    }

    private static int mapId(BpfObject obj, ObjectSpec spec, String name) {
        MapSpec m = spec.map(name);
        return obj.map(name, Codec.bytes(m.keySize()), Codec.bytes(m.valueSize())).info().id();
    }
}
