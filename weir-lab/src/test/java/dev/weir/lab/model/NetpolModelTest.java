package dev.weir.lab.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class NetpolModelTest {

    private final LabModel two = NetpolModel.build(2);

    @Test
    void podsHaveTheDesignsAddressesAndLabels() {
        assertThat(two.pods()).hasSize(9);
        PodSpec xc = two.pod(PodRef.parse("x/c")).orElseThrow();
        assertThat(xc.ipv4()).isEqualTo("10.244.1.30");
        assertThat(xc.ipv6()).isEqualTo("fd00:10:244:1::30");
        assertThat(xc.labels()).containsExactly(java.util.Map.entry("pod", "c"));
        PodSpec zb = two.pod(PodRef.parse("z/b")).orElseThrow();
        assertThat(zb.ipv4()).isEqualTo("10.244.3.20");
        assertThat(zb.address(Family.IPV6)).isEqualTo("fd00:10:244:3::20");
        assertThat(zb.netns()).isEqualTo("weir-pod-z-b");
        assertThat(zb.hostInterface()).isEqualTo("lxc-z-b");
    }

    @Test
    void placementIsFixedOnTwoNodes() {
        assertThat(two.podsOn("node1")).extracting(p -> p.ref().toString())
                .containsExactlyInAnyOrder("x/a", "y/a", "z/a", "x/c");
        assertThat(two.podsOn("node2")).extracting(p -> p.ref().toString())
                .containsExactlyInAnyOrder("x/b", "y/b", "z/b", "y/c", "z/c");
    }

    @Test
    void oneNodeHoldsEveryPod() {
        LabModel one = NetpolModel.build(1);
        assertThat(one.nodes()).extracting(NodeSpec::name).containsExactly("node1");
        assertThat(one.podsOn("node1")).hasSize(9);
        assertThat(one.ext().routes()).extracting(ExtRoute::node).containsOnly("node1");
    }

    @Test
    void fiveNodesKeepTheTwoNodePlacementAndAddEmptyNodes() {
        LabModel five = NetpolModel.build(5);
        assertThat(five.nodes()).extracting(NodeSpec::name).containsExactly("node1", "node2", "node3", "node4", "node5");
        assertThat(five.pods()).isEqualTo(two.pods());
        assertThat(five.ext()).isEqualTo(two.ext());
        for (int i = 3; i <= 5; i++) {
            NodeSpec n = five.node("node" + i).orElseThrow();
            assertThat(five.podsOn(n.name())).isEmpty();
            assertThat(n.ipv4()).isEqualTo("192.168.100." + i);
            assertThat(n.ipv6()).isEqualTo("fd00:192:168:100::" + i);
            assertThat(n.interfaces()).containsExactly("eth0");
        }
    }

    @Test
    void nodesHaveUnderlayAddressesAndInterfaces() {
        NodeSpec n2 = two.node("node2").orElseThrow();
        assertThat(n2.netns()).isEqualTo("weir-node2");
        assertThat(n2.ipv4()).isEqualTo("192.168.100.2");
        assertThat(n2.ipv6()).isEqualTo("fd00:192:168:100::2");
        assertThat(n2.interfaces()).containsExactly("eth0", "lxc-x-b", "lxc-y-b", "lxc-y-c", "lxc-z-b", "lxc-z-c");
    }

    @Test
    void namespacesCarryBothLabels() {
        assertThat(two.namespaces()).extracting(NamespaceSpec::name).containsExactly("x", "y", "z");
        assertThat(two.namespaces().get(1).labels())
                .containsEntry("ns", "y").containsEntry("kubernetes.io/metadata.name", "y").hasSize(2);
    }

    @Test
    void extRoutesPoolsThroughBothNodesAndNothingElse() {
        ExtSpec ext = two.ext();
        assertThat(ext.ipv4()).isEqualTo("192.168.100.200");
        assertThat(ext.ipv6()).isEqualTo("fd00:192:168:100::200");
        assertThat(ext.routes()).contains(
                new ExtRoute("203.0.113.0/28", "192.168.100.1", "node1"),
                new ExtRoute("203.0.113.16/28", "192.168.100.2", "node2"));
        assertThat(ext.routes()).extracting(ExtRoute::prefix)
                .noneMatch(p -> p.startsWith("10.") || p.startsWith("fd00:10:"));
    }

    @Test
    void serviceRangesAreRecorded() {
        assertThat(two.services()).isEqualTo(new ServiceRanges("10.96.0.0/16", "fd00:10:96::/112", 30000, 32767));
    }

    @Test
    void nodeCountIsChecked() {
        assertThatThrownBy(() -> NetpolModel.build(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--nodes");
    }

    @Test
    void namesNeverCollideAndFitInterfaceNames() {
        List<String> netns = new java.util.ArrayList<>(two.pods().stream().map(PodSpec::netns).toList());
        two.nodes().forEach(n -> netns.add(n.netns()));
        assertThat(netns).doesNotHaveDuplicates().allMatch(LabNames::isLabNetns);
        assertThat(LabNames.isLabNetns("weir-test-1")).isFalse();
        String longName = LabNames.hostInterface(new PodRef("kube-system", "coredns"));
        assertThat(longName).startsWith("lxc").hasSize(15);
        assertThat(LabNames.hostInterface(new PodRef("kube-system", "coredns"))).isEqualTo(longName);
    }
}
