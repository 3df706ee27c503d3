package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pinning maps and programs, reopening pins, reusing pinned maps across loads. */
class PinKernelTest {

    @Test
    void loadPinsMapsAndReusesThemOnReload() {
        try (TestPins pins = new TestPins()) {
            LoadOptions opts = LoadOptions.builder().pinDirectory(pins.dir).pinMaps(Set.of("t_array", "t_hash")).build();
            try (BpfObject first = BpfObject.load(TestObjects.maps(), opts)) {
                first.map("t_array", Codec.u32(), Codec.u64()).put(1, 42L);
            }
            assertThat(pins.dir.resolve("t_array")).exists();
            assertThat(pins.dir.resolve("t_lru")).doesNotExist();
            try (BpfObject second = BpfObject.load(TestObjects.maps(), opts)) {
                assertThat(second.map("t_array", Codec.u32(), Codec.u64()).lookup(1)).contains(42L);
            }
            try (BpfMap<Integer, Long> pinned = BpfMap.fromPin(pins.dir.resolve("t_array"), Codec.u32(), Codec.u64())) {
                assertThat(pinned.lookup(1)).contains(42L);
                assertThat(pinned.name()).isEqualTo("t_array");
                try (BpfMap<?, ?> byId = BpfMap.fromId(pinned.info().id())) {
                    assertThat(byId.type()).isEqualTo(MapType.ARRAY);
                }
            }
        }
    }

    @Test
    void incompatiblePinnedMapIsAnErrorNamingTheDifference() {
        try (TestPins pins = new TestPins()) {
            LoadOptions small = LoadOptions.builder().pinDirectory(pins.dir).pinMaps(Set.of("t_hash")).build();
            try (BpfObject first = BpfObject.load(TestObjects.maps(), small)) {
                assertThat(first.map("t_hash", TestObjects.FlowKey.CODEC, TestObjects.Counter.CODEC).maxEntries()).isEqualTo(1024);
            }
            LoadOptions big = LoadOptions.builder().pinDirectory(pins.dir).pinMaps(Set.of("t_hash"))
                    .maxEntries("t_hash", 2048).build();
            assertThatThrownBy(() -> BpfObject.load(TestObjects.maps(), big))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> {
                        assertThat(e.object()).isEqualTo("t_hash");
                        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
                        assertThat(e.getMessage()).contains("max_entries 1024 pinned, 2048 wanted");
                    });
            LoadOptions noReuse = LoadOptions.builder().pinDirectory(pins.dir).pinMaps(Set.of("t_hash"))
                    .reusePinned(false).build();
            assertThatThrownBy(() -> BpfObject.load(TestObjects.maps(), noReuse))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        }
    }

    @Test
    void programPinAndFromPinAndFromId() {
        try (TestPins pins = new TestPins(); BpfObject obj = BpfObject.load(TestObjects.maps())) {
            BpfProgram prog = obj.program("xdp_main");
            prog.pin(pins.dir.resolve("xdp_main"));
            try (BpfProgram reopened = BpfProgram.fromPin(pins.dir.resolve("xdp_main"));
                 BpfProgram byId = BpfProgram.fromId(prog.id())) {
                assertThat(reopened.id()).isEqualTo(prog.id());
                assertThat(reopened.type()).isEqualTo(ProgramType.XDP);
                assertThat(byId.name()).isEqualTo("xdp_main");
                assertThat(byId.info().mapIds()).isNotEmpty();
            }
            assertThatThrownBy(() -> prog.pin(pins.dir.resolve("xdp_main")))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
            assertThatThrownBy(() -> BpfProgram.fromPin(pins.dir.resolve("missing")))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        }
    }
}
