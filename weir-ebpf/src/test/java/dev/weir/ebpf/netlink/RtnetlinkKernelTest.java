package dev.weir.ebpf.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.ebpf.BpfKernelException;
import dev.weir.ebpf.Errno;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.testkit.Requirements;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * rtnetlink against the running kernel: a veth pair made from one namespace of the test's own ("node") with its
 * peer created in another ("pod"), addresses and routes on both ends, read back with {@code ip -j}. Both
 * namespaces (and with them every link) are deleted after each test, and checked gone.
 */
class RtnetlinkKernelTest {

    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String node = "weir-test-nl-node-" + suffix;
    private final String pod = "weir-test-nl-pod-" + suffix;

    @BeforeEach
    void namespaces() {
        Requirements.root();
        ip("netns", "add", node);
        ip("netns", "add", pod);
    }

    @AfterEach
    void removeThem() {
        for (String ns : List.of(node, pod)) {
            if (NetworkNamespace.exists(ns)) {
                ip("netns", "del", ns);
            }
            assertThat(NetworkNamespace.exists(ns)).as(ns + " removed").isFalse();
        }
    }

    @Test
    void aVethIntoAnotherNamespaceWithAddressesAndRoutes() {
        byte[] mac = HexFormat.of().parseHex("02aabbccdd01");
        byte[] peerMac = HexFormat.of().parseHex("02aabbccdd02");
        try (Rtnetlink n = Rtnetlink.open(NetworkNamespace.named(node))) {
            n.createVeth(new Veth("lxc-test", mac, "eth0", peerMac, 1400), Path.of("/run/netns", pod), true);
            int host = n.requireIndex("lxc-test");
            n.addAddress(host, "lxc-test", Route.address("169.254.1.1"), 32, false);
            n.addAddress(host, "lxc-test", Route.address("fe80::1"), 64, true);
            n.addRoute(Route.direct(Route.address("10.244.1.10"), 32, host).replacing(), "lxc-test");
            n.addRoute(Route.direct(Route.address("fd00:10:244:1::10"), 128, host).replacing(), "lxc-test");

            assertThat(text(node, "link", "show", "dev", "lxc-test")).contains(",UP", " mtu 1400 ", "link/ether 02:aa:bb:cc:dd:01 ");
            assertThat(text(node, "addr", "show", "dev", "lxc-test")).contains("inet 169.254.1.1/32 ", "inet6 fe80::1/64 ");
            assertThat(text(node, "-4", "route", "show", "dev", "lxc-test")).contains("10.244.1.10 scope link");
            assertThat(text(node, "-6", "route", "show", "dev", "lxc-test")).contains("fd00:10:244:1::10");
            assertThat(text(node, "link", "show")).doesNotContain(" eth0@");
        }
        try (Rtnetlink p = Rtnetlink.open(NetworkNamespace.at(Path.of("/run/netns", pod)))) {
            int eth0 = p.requireIndex("eth0");
            p.setUp(p.requireIndex("lo"), "lo");
            p.setUp(eth0, "eth0");
            p.addAddress(eth0, "eth0", Route.address("10.244.1.10"), 32, false);
            p.addAddress(eth0, "eth0", Route.address("fd00:10:244:1::10"), 128, true);
            p.addRoute(Route.direct(Route.address("169.254.1.1"), 32, eth0), "eth0");
            p.addRoute(Route.defaultVia(Route.address("169.254.1.1"), eth0), "eth0");
            p.addRoute(Route.defaultVia(Route.address("fe80::1"), eth0), "eth0");

            assertThat(text(pod, "link", "show", "dev", "eth0")).contains(",UP", " mtu 1400 ", "link/ether 02:aa:bb:cc:dd:02 ");
            assertThat(text(pod, "addr", "show", "dev", "eth0")).contains("inet 10.244.1.10/32 ", "inet6 fd00:10:244:1::10/128 ");
            assertThat(text(pod, "-4", "route", "show")).contains("default via 169.254.1.1 dev eth0",
                    "169.254.1.1 dev eth0 scope link");
            assertThat(text(pod, "-6", "route", "show")).contains("default via fe80::1 dev eth0");
            assertThat(p.addresses()).anySatisfy(a -> {
                assertThat(a.index()).isEqualTo(eth0);
                assertThat(a.address()).isEqualTo(Route.address("fd00:10:244:1::10"));
                assertThat(a.prefix()).isEqualTo(128);
            });
            assertThat(p.addresses()).anySatisfy(a -> assertThat(a.address()).isEqualTo(Route.address("10.244.1.10")));
        }
        try (Rtnetlink n = Rtnetlink.open(NetworkNamespace.named(node))) {
            assertThat(n.deleteLink("lxc-test")).isTrue();
            assertThat(n.linkIndex("lxc-test")).isEmpty();
            assertThat(n.deleteLink("lxc-test")).as("gone already").isFalse();
        }
        assertThat(text(pod, "link", "show")).as("the peer went with it").doesNotContain(" eth0@");
    }

    @Test
    void refusalsNameTheOperationTheInterfaceAndTheErrno() {
        try (Rtnetlink n = Rtnetlink.open(NetworkNamespace.named(node))) {
            Veth v = new Veth("lxc-dup", null, "eth0", null, null);
            n.createVeth(v, Path.of("/run/netns", pod), false);
            assertThatThrownBy(() -> n.createVeth(v, Path.of("/run/netns", pod), false))
                    .isInstanceOfSatisfying(BpfKernelException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST))
                    .hasMessageStartingWith("RTM_NEWLINK(veth lxc-dup, peer eth0 in /run/netns/" + pod + "): EEXIST (17)");
            int index = n.requireIndex("lxc-dup");
            n.addAddress(index, "lxc-dup", Route.address("169.254.1.1"), 32, false);
            assertThatThrownBy(() -> n.addAddress(index, "lxc-dup", Route.address("169.254.1.1"), 32, false))
                    .hasMessageStartingWith("RTM_NEWADDR(169.254.1.1/32 on lxc-dup): EEXIST (17)");
            assertThatThrownBy(() -> n.addRoute(Route.defaultVia(Route.address("10.9.9.9"), index), "lxc-dup"))
                    .isInstanceOf(BpfKernelException.class)
                    .hasMessageStartingWith("RTM_NEWROUTE(default via 10.9.9.9 dev lxc-dup): ENETUNREACH (101)");
            assertThatThrownBy(() -> n.requireIndex("nope0"))
                    .hasMessage("RTM_GETLINK(nope0 in network namespace " + node + "): ENODEV (19): no such interface");
            assertThatThrownBy(() -> n.createVeth(new Veth("lxc-x", null, "eth1", null, null), Path.of("/run/netns/absent-" + suffix), false))
                    .hasMessage("open(network namespace /run/netns/absent-" + suffix + "): ENOENT (2)");
            assertThat(n.linkIndex("lxc-x")).isEmpty();
        }
    }

    private static String text(String ns, String... args) {
        List<String> argv = new ArrayList<>(List.of("-n", ns));
        argv.addAll(List.of(args));
        return ip(argv.toArray(String[]::new));
    }

    private static String ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
