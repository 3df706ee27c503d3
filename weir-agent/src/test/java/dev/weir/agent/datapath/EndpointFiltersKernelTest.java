package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcFilter;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.testkit.Requirements;

/**
 * The pods' filters with the real {@code tc_endpoint} programs on a veth of a namespace of the test's own, records in
 * a bpffs directory of its own: attached, replaced in place by a second agent's programs (as after a restart),
 * detached with the qdisc weir made, and a qdisc weir found left alone.
 */
class EndpointFiltersKernelTest {

    private static final String NS = "weir-eft-" + UUID.randomUUID().toString().substring(0, 8);
    private static final Path PINS = Path.of("/sys/fs/bpf/weir-test-" + UUID.randomUUID().toString().substring(0, 8));

    private static BpfObject first;
    private static BpfObject second;
    private static NetworkNamespace ns;

    @BeforeAll
    static void setUp() {
        Requirements.root();
        Requirements.require(Files.isDirectory(Path.of("/sys/fs/bpf")), "needs bpffs at /sys/fs/bpf");
        ObjectSpec spec = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        first = BpfObject.load(spec, LoadOptions.builder().maxEntries(EndpointMaps.CT, 1024).build());
        second = BpfObject.load(spec, LoadOptions.builder().maxEntries(EndpointMaps.CT, 1024).build());
        sh("ip", "netns", "add", NS);
        sh("ip", "-n", NS, "link", "add", "lxc-a", "type", "veth", "peer", "name", "lxc.b");
        ns = NetworkNamespace.named(NS);
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (ns != null) {
            sh("ip", "netns", "del", NS);
            assertThat(NetworkNamespace.exists(NS)).isFalse();
        }
        for (BpfObject o : new BpfObject[] {first, second}) {
            if (o != null) {
                o.close();
            }
        }
        if (Files.exists(PINS)) {
            try (var s = Files.walk(PINS)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        assertThat(PINS).doesNotExist();
    }

    @Test
    void attachReplaceDetachWithTheQdiscWeirMade() {
        EndpointFilters filters = new EndpointFilters(PINS);
        int from1 = first.program(EndpointMaps.FROM_EP).id();
        int to1 = first.program(EndpointMaps.TO_EP).id();
        int from2 = second.program(EndpointMaps.FROM_EP).id();
        int to2 = second.program(EndpointMaps.TO_EP).id();

        call(() -> filters.attach(first.program(EndpointMaps.FROM_EP), first.program(EndpointMaps.TO_EP), "lxc-a"));
        assertThat(slot("lxc-a", TcDirection.INGRESS)).hasValue(from1);
        assertThat(slot("lxc-a", TcDirection.EGRESS)).hasValue(to1);
        assertThat(filters.recorded()).containsExactly("lxc-a");
        assertThat(filters.madeQdisc("lxc-a")).isTrue();

        call(() -> filters.attach(second.program(EndpointMaps.FROM_EP), second.program(EndpointMaps.TO_EP), "lxc-a"));
        assertThat(slot("lxc-a", TcDirection.INGRESS)).hasValue(from2);
        assertThat(slot("lxc-a", TcDirection.EGRESS)).hasValue(to2);
        assertThat(sh("ip", "netns", "exec", NS, "tc", "filter", "show", "dev", "lxc-a", "ingress").lines()
                .filter(l -> l.contains("weir_from_ep")).count()).as("replaced, not added beside").isEqualTo(1);
        assertThat(filters.madeQdisc("lxc-a")).as("still weir's qdisc after the second attach").isTrue();

        List<String> done = ns.callUnchecked(() -> filters.detach("lxc-a"));
        assertThat(done).hasSize(3).last().asString().contains("removed the clsact qdisc weir made on lxc-a");
        assertThat(sh("ip", "netns", "exec", NS, "tc", "qdisc", "show", "dev", "lxc-a")).doesNotContain("clsact");
        assertThat(filters.recorded()).isEmpty();
    }

    @Test
    void aQdiscWeirFoundStaysAndADottedNameIsKept() {
        EndpointFilters filters = new EndpointFilters(PINS);
        sh("ip", "netns", "exec", NS, "tc", "qdisc", "add", "dev", "lxc.b", "clsact");
        try {
            call(() -> filters.attach(first.program(EndpointMaps.FROM_EP), first.program(EndpointMaps.TO_EP), "lxc.b"));
            assertThat(filters.recorded()).containsExactly("lxc.b");
            assertThat(filters.madeQdisc("lxc.b")).isFalse();
            List<String> done = ns.callUnchecked(() -> filters.detach("lxc.b"));
            assertThat(done).hasSize(2).noneMatch(m -> m.contains("qdisc"));
            assertThat(slot("lxc.b", TcDirection.INGRESS)).isEmpty();
            assertThat(sh("ip", "netns", "exec", NS, "tc", "qdisc", "show", "dev", "lxc.b")).contains("clsact");
            assertThat(filters.recorded()).isEmpty();
        } finally {
            sh("ip", "netns", "exec", NS, "tc", "qdisc", "del", "dev", "lxc.b", "clsact");
        }
    }

    private static java.util.OptionalInt slot(String iface, TcDirection d) {
        return ns.callUnchecked(() -> TcFilter.query(iface, d, EndpointMaps.FILTER_SLOT));
    }

    private static void call(Runnable r) {
        ns.callUnchecked(() -> {
            r.run();
            return null;
        });
    }

    private static String sh(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": " + out);
            }
            return out;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
