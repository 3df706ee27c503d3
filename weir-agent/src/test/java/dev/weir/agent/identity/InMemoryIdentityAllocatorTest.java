package dev.weir.agent.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.net.Cidr;

class InMemoryIdentityAllocatorTest {

    @Test
    void numbersFollowTheRangesAndStayStable() {
        var a = new InMemoryIdentityAllocator();
        int x = a.allocate(Map.of("k8s:pod", "a"));
        int c = a.allocate(Identities.cidrLabels(Cidr.parse("10.0.0.0/8")));
        assertThat(x).isEqualTo(256);
        assertThat(c).isEqualTo(1 << 24);
        assertThat(a.allocate(Identities.HOST_LABELS)).isEqualTo(1);
        assertThat(a.allocate(Identities.WORLD_LABELS)).isEqualTo(2);
        assertThat(a.allocate(Identities.REMOTE_NODE_LABELS)).isEqualTo(6);
        assertThat(a.allocate(Map.of("k8s:pod", "a"))).isEqualTo(x);
        assertThat(a.references(x)).isEqualTo(2);
    }

    @Test
    void releasedIdentitiesKeepTheirNumberUntilGc() {
        var a = new InMemoryIdentityAllocator();
        int x = a.allocate(Map.of("k8s:pod", "a"));
        a.release(x);
        assertThat(a.allocate(Map.of("k8s:pod", "a"))).isEqualTo(x);
        a.release(x);
        assertThat(a.gc()).isEqualTo(1);
        assertThat(a.lookup(x)).isEmpty();
        assertThatThrownBy(() -> a.release(x)).isInstanceOf(IllegalArgumentException.class);
        int y = a.allocate(Map.of("k8s:pod", "b"));
        assertThat(y).isEqualTo(256);
    }

    @Test
    void endpointLabelsAreNamespacedLikeCilium() {
        var ep = new Endpoint(1, "x", "a", Map.of("pod", "a"), "node1", "10.244.1.10", null, "lxc");
        var labels = Identities.endpointLabels(ep, new Namespace("x", Map.of("ns", "x")));
        assertThat(labels).containsExactlyInAnyOrderEntriesOf(Map.of("k8s:pod", "a", "k8s:io.kubernetes.pod.namespace", "x",
                "k8s:io.kubernetes.pod.namespace.labels.ns", "x"));
        assertThat(Identities.describe(labels)).isEqualTo(
                "k8s:io.kubernetes.pod.namespace=x,k8s:io.kubernetes.pod.namespace.labels.ns=x,k8s:pod=a");
    }
}
