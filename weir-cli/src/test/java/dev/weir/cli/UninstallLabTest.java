package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.agent.datapath.EndpointFilters;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.PinnedObject;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcFilter;
import dev.weir.ebpf.XdpStatus;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.Lab;
import dev.weir.lab.LabConfig;
import dev.weir.testkit.Requirements;

/**
 * {@code weir uninstall} removes what weir made and nothing else: a program another tool (bpftool)
 * attached to a lab interface survives it, and so does a route of another protocol beside weir's.
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

        // what weir's routing makes (docs/routing.md, "What weir owns") beside a route of another owner
        String[] node2 = {"nsenter", "--net=/run/netns/weir-node2", "ip"};
        sh(cat(node2, "link", "add", "weir_vxlan", "type", "vxlan", "external", "dstport", "8472"));
        sh(cat(node2, "route", "add", "10.99.0.1/32", "via", "192.168.100.1", "proto", "201"));
        sh(cat(node2, "-6", "route", "add", "fd00:99::1/128", "via", "fd00:192:168:100::1", "proto", "201"));
        sh(cat(node2, "route", "add", "10.98.0.0/24", "via", "192.168.100.1", "proto", "static"));

        List<Integer> weirLinks = List.of("eth0", "lxc-x-a").stream()
                .map(i -> PinnedObject.inspect(Path.of("/sys/fs/bpf/weir/prefilter/weir-node1/links", i)).orElseThrow().id())
                .toList();

        // a pod's filters as node1's agent attaches them (this lab runs no agent): the test's object goes, the filters stay
        try (BpfObject ep = BpfObject.load(ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT)))) {
            NetworkNamespace.named("weir-node1").call(() -> {
                new EndpointFilters(Path.of("/sys/fs/bpf/weir/node1"))
                        .attach(ep.program(EndpointMaps.FROM_EP), ep.program(EndpointMaps.TO_EP), "lxc-x-a");
                return null;
            });
        }
        assertThat(slot("lxc-x-a", TcDirection.INGRESS)).as("weir_from_ep in weir's clsact slot").isPresent();
        assertThat(tc("qdisc", "lxc-x-a")).contains("clsact");

        InProcess.Result r = Cli.run("uninstall");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("detached xdp link")
                .contains("detached tc filter ingress of lxc-x-a", "detached tc filter egress of lxc-x-a")
                .contains("removed the clsact qdisc weir made on lxc-x-a in network namespace weir-node1");
        assertThat(slot("lxc-x-a", TcDirection.INGRESS)).isEmpty();
        assertThat(slot("lxc-x-a", TcDirection.EGRESS)).isEmpty();
        assertThat(tc("qdisc", "lxc-x-a")).doesNotContain("clsact");

        assertThat(xdp("weir-node1", "eth0").isEmpty()).as("weir's XDP on node1 eth0 is gone").isTrue();
        assertThat(xdp("weir-node1", "lxc-x-a").isEmpty()).isTrue();
        assertThat(Path.of("/sys/fs/bpf/weir")).doesNotExist();
        assertThat(Path.of("/run/weir/prefilter")).doesNotExist();
        assertThat(BpfSystem.links()).as("weir's links are released").noneMatch(l -> weirLinks.contains(l.id()));
        assertThat(xdp("weir-node2", "eth0").genericProgramId()).as("the foreign program survives").isEqualTo(foreignId);
        assertThat(r.out()).contains("removed weir_vxlan in weir-node2")
                .contains("removed 1 IPv4 route(s) of protocol 201 in weir-node2")
                .contains("removed 1 IPv6 route(s) of protocol 201 in weir-node2");
        assertThat(out(cat(node2, "route", "show"))).doesNotContain("10.99.0.1").contains("10.98.0.0/24");
        assertThat(out(cat(node2, "-6", "route", "show"))).doesNotContain("fd00:99::1");
        assertThat(out(cat(node2, "link", "show"))).doesNotContain("weir_vxlan");
        assertThat(Cli.run("uninstall").out()).contains("nothing of weir's is installed");
    }

    private static java.util.OptionalInt slot(String iface, TcDirection d) throws Exception {
        return NetworkNamespace.named("weir-node1").call(() -> TcFilter.query(iface, d, EndpointMaps.FILTER_SLOT));
    }

    private static String tc(String what, String iface) throws Exception {
        return out("nsenter", "--net=/run/netns/weir-node1", "tc", what, "show", "dev", iface);
    }

    private static XdpStatus xdp(String netns, String iface) throws Exception {
        return NetworkNamespace.named(netns).call(() -> BpfSystem.xdpQuery(iface));
    }

    private static void sh(String... cmd) throws Exception {
        out(cmd);
    }

    private static String out(String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }

    private static String[] cat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
