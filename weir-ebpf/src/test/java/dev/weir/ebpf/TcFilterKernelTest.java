package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.testkit.Requirements;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link TcFilter} on a veth of a namespace of the test's own: a filter at a fixed slot is added, found again,
 * replaced in place by a second instance of the program, and removed; the clsact qdisc is reported as made or found.
 */
class TcFilterKernelTest {

    private static final TcFilter.Slot SLOT = new TcFilter.Slot(0x77656972, 1);

    private static BpfObject first;
    private static BpfObject second;
    private static TestNetns netns;

    @BeforeAll
    static void setUp() {
        Requirements.root();
        first = BpfObject.load(TestObjects.maps());
        second = BpfObject.load(TestObjects.maps());
        netns = new TestNetns();
    }

    @AfterAll
    static void tearDown() {
        if (netns != null) {
            netns.close();
        }
        for (BpfObject o : new BpfObject[] {first, second}) {
            if (o != null) {
                int id = o.program("tc_main").id();
                o.close();
                assertThat(BpfSystem.programs()).as("program " + id + " released").noneMatch(p -> p.id() == id);
            }
        }
    }

    @Test
    void addFindReplaceDetach() {
        BpfProgram a = first.program("tc_main");
        BpfProgram b = second.program("tc_main");
        assertThat(a.id()).isNotEqualTo(b.id());
        try {
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.INGRESS, SLOT))).as("no clsact yet").isEmpty();
            assertThat(netns.call(() -> TcFilter.ensureClsact("veth0"))).as("made").isTrue();
            assertThat(netns.call(() -> TcFilter.ensureClsact("veth0"))).as("found").isFalse();

            netns.call(() -> {
                TcFilter.replace(a, "veth0", TcDirection.INGRESS, SLOT);
                TcFilter.replace(a, "veth0", TcDirection.EGRESS, SLOT);
                return null;
            });
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.INGRESS, SLOT))).hasValue(a.id());
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.EGRESS, SLOT))).hasValue(a.id());
            assertThat(filters("ingress")).contains("handle 0x77656972", "pref 1", "tc_main", "direct-action");
            assertThat(BpfSystem.program(a.id()).map(ProgramInfo::name)).hasValue("tc_main");
            assertThat(BpfSystem.program(Integer.MAX_VALUE)).isEmpty();

            netns.call(() -> {
                TcFilter.replace(b, "veth0", TcDirection.INGRESS, SLOT);
                return null;
            });
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.INGRESS, SLOT))).hasValue(b.id());
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.EGRESS, SLOT))).hasValue(a.id());
            assertThat(filters("ingress").lines().filter(l -> l.contains("tc_main")).count())
                    .as("replaced in place, not added beside").isEqualTo(1);

            assertThat(netns.call(() -> TcFilter.detach("veth0", TcDirection.INGRESS, SLOT))).isTrue();
            assertThat(netns.call(() -> TcFilter.detach("veth0", TcDirection.INGRESS, SLOT))).as("already gone").isFalse();
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.INGRESS, SLOT))).isEmpty();
            assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.EGRESS, SLOT))).hasValue(a.id());
        } finally {
            netns.call(() -> TcFilter.removeClsact("veth0"));
        }
        assertThat(qdiscs()).doesNotContain("clsact");
        assertThat(netns.call(() -> TcFilter.query("veth0", TcDirection.EGRESS, SLOT))).as("went with the qdisc").isEmpty();
        assertThat(netns.call(() -> TcFilter.removeClsact("veth0"))).as("nothing left to remove").isFalse();
    }

    @Test
    void replaceWithoutClsactAndUnknownInterfaceNameTheErrno() {
        BpfProgram a = first.program("tc_main");
        assertThatThrownBy(() -> netns.call(() -> {
            TcFilter.replace(a, "veth1", TcDirection.INGRESS, SLOT);
            return null;
        })).isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e).hasMessageStartingWith(
                "bpf_tc_attach(tc_main on veth1 ingress (handle 0x77656972 prio 1))"));
        assertThatThrownBy(() -> netns.call(() -> TcFilter.ensureClsact("nope0")))
                .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        assertThat(qdiscs()).doesNotContain("clsact");
    }

    @Test
    void slotRefusesZeroHandleAndOutOfRangePriority() {
        assertThatThrownBy(() -> new TcFilter.Slot(0, 1)).hasMessageContaining("non-zero handle");
        assertThatThrownBy(() -> new TcFilter.Slot(1, 0)).hasMessageContaining("not in 1..65535");
        assertThatThrownBy(() -> new TcFilter.Slot(1, 0x10000)).hasMessageContaining("not in 1..65535");
    }

    private static String filters(String dir) {
        return out("tc", "filter", "show", "dev", "veth0", dir);
    }

    private static String qdiscs() {
        return out("tc", "qdisc", "show", "dev", "veth0") + out("tc", "qdisc", "show", "dev", "veth1");
    }

    private static String out(String... command) {
        try {
            String[] full = new String[command.length + 4];
            full[0] = "ip";
            full[1] = "netns";
            full[2] = "exec";
            full[3] = netns.name;
            System.arraycopy(command, 0, full, 4, command.length);
            Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
