package dev.weir.agent.flow;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Namespace;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.runtime.StateView;

/** A two-pod cluster and raw events between its pods, for the flow tests. */
final class FlowFixtures {

    static final Instant T0 = Instant.parse("2026-06-02T12:00:00.123Z");

    private FlowFixtures() {
    }

    static FlowDecorator decorator() {
        FlowDecorator d = new FlowDecorator("node1");
        ClusterState cluster = new ClusterState(List.of(new Node("node1", "weir-node1", "192.168.100.1", null)),
                List.of(new Namespace("x", Map.of("ns", "x")), new Namespace("y", Map.of("ns", "y"))),
                List.of(new Endpoint(1, "x", "a", Map.of("pod", "a"), "node1", "10.244.1.10", "fd00:10:244:1::10", "lxc-x-a"),
                        new Endpoint(2, "y", "b", Map.of("pod", "b"), "node2", "10.244.2.20", "fd00:10:244:2::20", "lxc-y-b")));
        StateView view = new StateView(
                List.of(new StateView.Identity(256, "ENDPOINT", Map.of("k8s:pod", "a", "k8s:io.kubernetes.pod.namespace", "x")),
                        new StateView.Identity(257, "ENDPOINT", Map.of("k8s:pod", "b", "k8s:io.kubernetes.pod.namespace", "y"))),
                Map.of(), List.of(new StateView.Rule(1, "NetworkPolicy", "y", "allow-80", "spec.ingress[0]")), List.of());
        d.update(cluster, view.withServices(List.of(new StateView.Frontend(7, "x/web", "10.96.0.10", 80, "TCP"),
                new StateView.Frontend(8, "x/web", "fd00:10:96::10", 80, "TCP")), null));
        return d;
    }

    /** x/a -> y/b TCP SYN to a port; verdict 1 forwarded (rule 1) or 2 dropped (DROP_POLICY). */
    static RawFlowEvent tcp(int dport, int verdict, int secondsLater) {
        return new RawFlowEvent(T0.plusSeconds(secondsLater), 2, 7, 256, 257, verdict == 1 ? 1 : 0,
                verdict == 1 ? 9 : 142, verdict, 0, false, 4, 6, 0x02, verdict == 1 ? 2 : 0, 43210, dport,
                "10.244.1.10", "10.244.2.20", 60);
    }

    static RawFlowEvent udpReply() {
        return new RawFlowEvent(T0.plusSeconds(10), 1, 3, 257, 256, 0, 7, 1, 0, true, 6, 17, 0, 0, 53, 40000,
                "fd00:10:244:2::20", "fd00:10:244:1::10", 80);
    }

    /** x/a -> y/b TCP SYN forwarded after DNAT from the service frontend with rev-NAT id {@code revNat}. */
    static RawFlowEvent tcpViaService(int revNat) {
        return new RawFlowEvent(T0, 1, 7, 256, 257, 1, 10, 1, 1, false, 4, 6, 0x02, 2, 43214, 80,
                "10.244.1.10", "10.244.2.20", 60, 3, revNat);
    }
}
