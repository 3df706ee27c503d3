package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.testkit.Requirements;

/**
 * The prefilter loaded again over its own pins (as every attach after the first does) reuses every pinned map,
 * the devmap too, whose flags the kernel extends (BPF_F_RDONLY_PROG) beyond what the object asks for.
 */
class KernelPrefilterPinsTest {

    @Test
    void aSecondLoadReusesEveryPinTheDevmapToo() {
        Requirements.rootWithBpffs();
        Path dir = Path.of("/sys/fs/bpf/weir-test-" + UUID.randomUUID().toString().substring(0, 8));
        KernelPrefilterDataplane dp = new KernelPrefilterDataplane("t", NetworkNamespace.current(), dir);
        try {
            dp.load(Capacity.DEFAULT);
            int first = devmapId(dir);
            dp.load(Capacity.DEFAULT);
            assertThat(devmapId(dir)).as("the same pf_devmap").isEqualTo(first);
            assertThat(dp.redirect(java.util.List.of(), null)).as("empty, nothing to delete").isZero();
        } finally {
            dp.destroy();
        }
        assertThat(Files.exists(dir)).isFalse();
    }

    private static int devmapId(Path dir) {
        try (var m = BpfMap.fromPin(dir.resolve(PrefilterMaps.DEVMAP), Codec.u32(), Codec.u32())) {
            return m.info().id();
        }
    }
}
