package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.datapath.sockmap.SockEp;

/** What the agent writes into {@code sockmap_ep} and where it pins the sock_ops links; no kernel needed. */
class SockmapTest {

    private static Endpoint ep(int id, String name, String ipv4, String ipv6) {
        return new Endpoint(id, "x", name, Map.of("pod", name), "node1", ipv4, ipv6, "lxc-x-" + name, "/sys/fs/cgroup/lab/x-" + name);
    }

    @Test
    void everyAddressOfAnEndpointWithAnInterfaceNamesItsIdAndIfindex() {
        List<Endpoint> local = List.of(ep(1, "a", "10.244.1.10", "fd00:10:244:1::10"), ep(2, "b", "10.244.1.20", null),
                ep(3, "c", "10.244.1.30", "fd00:10:244:1::30"));
        Map<String, SockEp> out = Sockmap.addresses(local, Map.of(1, 6, 2, 9));
        assertThat(out).containsOnly(
                Map.entry("10.244.1.10", new SockEp(1, 6)),
                Map.entry("fd00:10:244:1:0:0:0:10", new SockEp(1, 6)),
                Map.entry("10.244.1.20", new SockEp(2, 9)));
    }

    @Test
    void noLocalEndpointsNoAddresses() {
        assertThat(Sockmap.addresses(List.of(), Map.of(1, 6))).isEmpty();
    }

    @Test
    void pinNamesHaveNoDots() {
        assertThat(Sockmap.pinName(new Endpoint(4, "kube.system", "dns.1", Map.of(), "node1", null, null, "lxc1")))
                .isEqualTo("kube_system_dns_1_sockops");
    }
}
