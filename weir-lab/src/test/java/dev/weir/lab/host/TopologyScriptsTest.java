package dev.weir.lab.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.NetpolModel;
import dev.weir.lab.model.PodRef;

class TopologyScriptsTest {

    private final LabModel model = NetpolModel.build(2);

    @Test
    void podsUseTheirNodeAsGatewayOnBothFamilies() {
        assertThat(TopologyScripts.pod(model.pod(PodRef.parse("y/c")).orElseThrow())).contains(
                "addr add 10.244.2.30/32 dev eth0",
                "addr add fd00:10:244:2::30/128 dev eth0 nodad",
                "route add 169.254.1.1/32 dev eth0 scope link",
                "route add default via 169.254.1.1 dev eth0",
                "route add default via fe80::1 dev eth0");
    }

    @Test
    void nodesRouteLocalPodsToTheirVethAndOthersToTheirNode() {
        var node1 = TopologyScripts.node(model, model.node("node1").orElseThrow());
        assertThat(node1).contains(
                "link add lxc-x-a type veth peer name eth0 netns weir-pod-x-a",
                "addr add 169.254.1.1/32 dev lxc-x-a",
                "addr add fe80::1/64 dev lxc-x-a nodad",
                "route add 10.244.1.10/32 dev lxc-x-a",
                "route add fd00:10:244:1::10/128 dev lxc-x-a",
                "route add 10.244.1.20/32 via 192.168.100.2 dev eth0",
                "route add fd00:10:244:1::20/128 via fd00:192:168:100::2 dev eth0");
        assertThat(node1).noneMatch(l -> l.contains("lxc-x-b"));
    }

    @Test
    void extHasNoRouteToPodsOrServices() {
        assertThat(TopologyScripts.ext(model.ext())).contains("route add 203.0.113.16/28 via 192.168.100.2 dev eth0")
                .noneMatch(l -> l.contains("10.244.") || l.contains("10.96.") || l.contains("default"));
    }

    @Test
    void underlayBridgesNodesAndExt() {
        assertThat(TopologyScripts.underlay(model)).contains(
                "link add u-node1 type veth peer name eth0 netns weir-node1",
                "link add u-ext type veth peer name eth0 netns weir-ext",
                "link set u-node2 master br0 up");
    }
}
