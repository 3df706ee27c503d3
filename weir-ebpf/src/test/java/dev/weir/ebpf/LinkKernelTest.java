package dev.weir.ebpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.testkit.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** XDP, TC and cgroup links on a veth pair in a namespace of the test's own, and a cgroup of its own. */
class LinkKernelTest {

    private static final Path CGROUP2 = Path.of("/sys/fs/cgroup/unified");

    private static BpfObject obj;
    private static TestNetns netns;

    @BeforeAll
    static void setUp() {
        Requirements.root();
        obj = BpfObject.load(TestObjects.maps());
        netns = new TestNetns();
    }

    @AfterAll
    static void tearDown() {
        if (netns != null) {
            netns.close();
        }
        if (obj != null) {
            int[] ids = obj.programs().stream().mapToInt(BpfProgram::id).toArray();
            obj.close();
            assertThat(BpfSystem.links()).noneMatch(l -> contains(ids, l.programId()));
        }
    }

    @AfterEach
    void nothingAttached() {
        XdpStatus s = netns.call(() -> BpfSystem.xdpQuery("veth0"));
        assertThat(s.isEmpty()).as("no XDP left on veth0: " + s).isTrue();
        assertThat(netns.call(() -> BpfSystem.tcxQuery("veth0", TcDirection.INGRESS))).isEmpty();
    }

    private static boolean contains(int[] ids, int id) {
        for (int i : ids) {
            if (i == id) {
                return true;
            }
        }
        return false;
    }

    @Test
    void xdpNative() {
        BpfProgram prog = obj.program("xdp_main");
        try (XdpLink link = netns.call(() -> XdpLink.attach(prog, "veth0", XdpMode.NATIVE))) {
            assertThat(link.mode()).isEqualTo(XdpMode.NATIVE);
            XdpStatus s = netns.call(() -> BpfSystem.xdpQuery("veth0"));
            assertThat(s.nativeProgramId()).isEqualTo(prog.id());
            assertThat(link.info().type()).isEqualTo(LinkInfo.Type.XDP);
            assertThat(link.info().programId()).isEqualTo(prog.id());
            assertThat(BpfSystem.links()).anyMatch(l -> l.id() == link.id());
        }
    }

    @Test
    void xdpGenericAndAuto() {
        BpfProgram prog = obj.program("xdp_main");
        try (XdpLink link = netns.call(() -> XdpLink.attach(prog, "veth0", XdpMode.GENERIC))) {
            assertThat(link.mode()).isEqualTo(XdpMode.GENERIC);
            assertThat(netns.call(() -> BpfSystem.xdpQuery("veth0")).genericProgramId()).isEqualTo(prog.id());
            assertThatThrownBy(() -> netns.call(() -> XdpLink.attach(prog, "veth0", XdpMode.GENERIC)))
                    .isInstanceOf(BpfKernelException.class).hasMessageContaining("bpf_link_create(xdp)");
        }
        try (XdpLink link = netns.call(() -> XdpLink.attach(prog, "veth1", XdpMode.AUTO))) {
            assertThat(link.mode()).isEqualTo(XdpMode.NATIVE);   // veth has native XDP
        }
        assertThat(netns.call(() -> Features.xdpNative("veth0")).isSupported()).isTrue();
    }

    @Test
    void unknownInterfaceNamesTheErrno() {
        assertThatThrownBy(() -> netns.call(() -> XdpLink.attach(obj.program("xdp_main"), "nope0", XdpMode.AUTO)))
                .isInstanceOfSatisfying(BpfKernelException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.ENODEV);
                    assertThat(e).hasMessage("if_nametoindex(nope0): ENODEV (19)");
                });
    }

    @Test
    void tcxIngressAndEgress() {
        Requirements.require(Features.tcx().isSupported(), () -> Features.tcx().reason());
        BpfProgram prog = obj.program("tc_main");
        try (TcLink in = netns.call(() -> TcLink.attach(prog, "veth0", TcDirection.INGRESS));
             TcLink out = netns.call(() -> TcLink.attach(prog, "veth0", TcDirection.EGRESS))) {
            assertThat(in.kind()).isEqualTo(TcLink.Kind.TCX);
            assertThat(netns.call(() -> BpfSystem.tcxQuery("veth0", TcDirection.INGRESS))).containsExactly(prog.id());
            assertThat(netns.call(() -> BpfSystem.tcxQuery("veth0", TcDirection.EGRESS))).containsExactly(prog.id());
            assertThat(out.info().type()).isEqualTo(LinkInfo.Type.TCX);
            assertThat(out.info().attachType()).contains(AttachType.TCX_EGRESS);
        }
    }

    @Test
    void clsactDirectAction() {
        BpfProgram prog = obj.program("tc_main");
        TcLink link = netns.call(() -> TcLink.attach(prog, "veth1", TcDirection.INGRESS, TcLink.Kind.CLSACT));
        assertThat(link.kind()).isEqualTo(TcLink.Kind.CLSACT);
        assertThat(tcFilters()).contains("tc_main");
        assertThatThrownBy(() -> link.pin(Path.of("/sys/fs/bpf/x"))).isInstanceOf(UnsupportedOperationException.class);
        link.close();                                 // from this thread, outside the namespace
        assertThat(tcFilters()).doesNotContain("tc_main");
    }

    private static String tcFilters() {
        try {
            Process p = new ProcessBuilder("ip", "netns", "exec", netns.name, "tc", "filter", "show", "dev", "veth1", "ingress")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void cgroupLink() throws IOException {
        Requirements.require(Files.exists(CGROUP2.resolve("cgroup.procs")), "needs cgroup2 at " + CGROUP2);
        Path cgroup = CGROUP2.resolve("weir-test-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(cgroup);
        try {
            BpfProgram prog = obj.program("cg_ingress");
            try (CgroupLink link = CgroupLink.attach(prog, cgroup, AttachType.CGROUP_INET_INGRESS)) {
                LinkInfo info = link.info();
                assertThat(info.type()).isEqualTo(LinkInfo.Type.CGROUP);
                assertThat(info.attachType()).contains(AttachType.CGROUP_INET_INGRESS);
                assertThat(info.programId()).isEqualTo(prog.id());
            }
            assertThatThrownBy(() -> CgroupLink.attach(prog, cgroup.resolve("missing"), AttachType.CGROUP_INET_INGRESS))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        } finally {
            Files.delete(cgroup);
        }
        assertThat(cgroup).doesNotExist();
    }

    @Test
    void pinnedLinkOutlivesCloseUntilUnpinned() {
        try (TestPins pins = new TestPins()) {
            BpfProgram prog = obj.program("xdp_main");
            Path pin = pins.dir.resolve("xdp_link");
            int id;
            try (XdpLink link = netns.call(() -> XdpLink.attach(prog, "veth1", XdpMode.GENERIC))) {
                link.pin(pin);
                id = link.id();
            }
            assertThat(netns.call(() -> BpfSystem.xdpQuery("veth1")).genericProgramId()).isEqualTo(prog.id());
            try (BpfLink reopened = BpfLink.fromPin(pin)) {
                assertThat(reopened).isInstanceOfSatisfying(XdpLink.class, x -> assertThat(x.mode()).isEqualTo(XdpMode.GENERIC));
                assertThat(reopened.id()).isEqualTo(id);
                reopened.unpin();
            }
            assertThat(pin).doesNotExist();
            assertThat(netns.call(() -> BpfSystem.xdpQuery("veth1")).isEmpty()).isTrue();
        }
    }
}
