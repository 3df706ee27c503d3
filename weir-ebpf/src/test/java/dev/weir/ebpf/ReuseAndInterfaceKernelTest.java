package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.testkit.Requirements;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadOptions.Builder#reuse}: an object using another object's pinned map (sized as the pin, never pinned
 * again in its own directory; a missing pin is an error naming the map); {@link NetInterface}'s MAC address and
 * GRO switch, on a veth in a namespace of the test's own.
 */
class ReuseAndInterfaceKernelTest {

    @BeforeAll
    static void root() {
        Requirements.root();
    }

    @Test
    void anotherObjectsPinIsReusedSizedAsThePin() {
        try (TestPins owner = new TestPins(); TestPins user = new TestPins()) {
            LoadOptions first = LoadOptions.builder().pinDirectory(owner.dir).pinMaps(Set.of("t_array"))
                    .maxEntries("t_array", 16).build();
            try (BpfObject a = BpfObject.load(TestObjects.maps(), first)) {
                a.map("t_array", Codec.u32(), Codec.u64()).put(1, 42L);
            }
            LoadOptions second = LoadOptions.builder().pinDirectory(user.dir).pinMaps(Set.of("t_array", "t_hash"))
                    .reuse("t_array", owner.dir.resolve("t_array")).build();
            try (BpfObject b = BpfObject.load(TestObjects.maps(), second)) {
                BpfMap<Integer, Long> m = b.map("t_array", Codec.u32(), Codec.u64());
                assertThat(m.maxEntries()).as("sized as the pin").isEqualTo(16);
                assertThat(m.lookup(1)).as("the same map").contains(42L);
            }
            assertThat(user.dir.resolve("t_array")).as("not pinned again").doesNotExist();
            assertThat(user.dir.resolve("t_hash")).exists();
            LoadOptions missing = LoadOptions.builder().reuse("t_array", owner.dir.resolve("nothing")).build();
            assertThatThrownBy(() -> BpfObject.load(TestObjects.maps(), missing))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> {
                        assertThat(e.object()).isEqualTo("t_array");
                        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
                    });
        }
    }

    @Test
    void macAddressAndGroOfAVeth() {
        try (TestNetns ns = new TestNetns()) {
            TestNetns.run("ip", "-n", ns.name, "link", "set", "veth0", "address", "02:00:5e:10:20:30");
            assertThat(ns.call(() -> HexFormat.ofDelimiter(":").formatHex(NetInterface.hardwareAddress("veth0"))))
                    .isEqualTo("02:00:5e:10:20:30");
            assertThat(ns.call(() -> {
                NetInterface.gro("veth1", true);
                return NetInterface.gro("veth1");
            })).isTrue();
            assertThat(ns.call(() -> {
                NetInterface.gro("veth1", false);
                return NetInterface.gro("veth1");
            })).isFalse();
            assertThatThrownBy(() -> ns.call(() -> NetInterface.hardwareAddress("nope0")))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        }
    }
}
