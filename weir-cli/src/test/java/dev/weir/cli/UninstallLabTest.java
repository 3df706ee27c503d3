package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.datapath.Datapath;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.PinnedObject;
import dev.weir.ebpf.XdpStatus;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.Lab;
import dev.weir.lab.LabConfig;
import dev.weir.testkit.Requirements;

/**
 * {@code weir uninstall} removes what weir made and nothing else: a program another tool (bpftool)
 * attached to a lab interface survives it.
 */
class UninstallLabTest {

    private static final Path FOREIGN_PIN = Path.of("/sys/fs/bpf/weir-test-foreign");

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Lab.up(LabConfig.defaults(), s -> { });
    }

    @AfterAll
    static void down() throws IOException {
        if (Requirements.isRoot()) {
            Files.deleteIfExists(FOREIGN_PIN);
            Cli.run("lab", "down");
            Cli.run("uninstall");
        }
    }

    @Test
    void removesWeirsProgramsAndPinsButNotAForeignOne() throws Exception {
        assertThat(Cli.run("prefilter", "attach", "--netns", "weir-node1", "eth0", "lxc-x-a").exit()).isZero();
        assertThat(Cli.run("prefilter", "add", "--netns", "weir-node1", "--src", "203.0.113.0/24").exit()).isZero();

        Path obj = Files.createTempFile("foreign", ".o");
        Files.write(obj, Datapath.object("xdp_drop_floor"));
        sh("bpftool", "prog", "load", obj.toString(), FOREIGN_PIN.toString(), "type", "xdp");
        sh("nsenter", "--net=/run/netns/weir-node2", "bpftool", "net", "attach", "xdpgeneric", "pinned",
                FOREIGN_PIN.toString(), "dev", "eth0");
        Files.delete(FOREIGN_PIN);
        Files.delete(obj);
        int foreignId = xdp("weir-node2", "eth0").genericProgramId();
        assertThat(foreignId).isPositive();

        List<Integer> weirLinks = List.of("eth0", "lxc-x-a").stream()
                .map(i -> PinnedObject.inspect(Path.of("/sys/fs/bpf/weir/prefilter/weir-node1/links", i)).orElseThrow().id())
                .toList();

        InProcess.Result r = Cli.run("uninstall");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("detached xdp link");

        assertThat(xdp("weir-node1", "eth0").isEmpty()).as("weir's XDP on node1 eth0 is gone").isTrue();
        assertThat(xdp("weir-node1", "lxc-x-a").isEmpty()).isTrue();
        assertThat(Path.of("/sys/fs/bpf/weir")).doesNotExist();
        assertThat(Path.of("/run/weir/prefilter")).doesNotExist();
        assertThat(BpfSystem.links()).as("weir's links are released").noneMatch(l -> weirLinks.contains(l.id()));
        assertThat(xdp("weir-node2", "eth0").genericProgramId()).as("the foreign program survives").isEqualTo(foreignId);
        assertThat(Cli.run("uninstall").out()).contains("nothing of weir's is installed");
    }

    private static XdpStatus xdp(String netns, String iface) throws Exception {
        return NetworkNamespace.named(netns).call(() -> BpfSystem.xdpQuery(iface));
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }
}
