package dev.weir.cli.ui;

import static dev.weir.cli.ui.FixedSource.pod;
import static dev.weir.cli.ui.FixedSource.tcp;
import static dev.weir.cli.ui.FixedSource.via;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import dev.weir.agent.flow.FlowPeer;
import dev.weir.agent.flow.HubbleJson;
import dev.weir.agent.flow.Verdict;

/** The service map of Hubble flow JSON: nodes, edges, the connection's direction, services, and the layout. */
class ServiceMapTest {

    private static final FlowPeer XA = pod("x", "a", 256);
    private static final FlowPeer YB = pod("y", "b", 257);
    private static final FlowPeer XC = pod("x", "c", 259);

    @Test
    void aServiceSitsBetweenClientAndBackendForConnectionsAndReplies() {
        JsonNode request = HubbleJson.render(via(tcp(1, Verdict.FORWARDED, YB, "10.244.2.20", XA, "10.244.1.10", 80, false, "node1"),
                "x", "web", "10.96.0.10:80"));
        JsonNode reply = HubbleJson.render(via(tcp(2, Verdict.FORWARDED, XA, "10.244.1.10", YB, "10.244.2.20", 80, true, "node2"),
                "x", "web", "10.96.0.10:80"));
        ServiceMap map = ServiceMap.of(List.of(request, reply));
        assertThat(map.edges()).extracting(ServiceMap.Edge::id).containsExactly(
                "pod:y/b -> service:x/web FORWARDED", "service:x/web -> pod:x/a FORWARDED");
        assertThat(map.edges()).extracting(ServiceMap.Edge::flows).containsExactly(2, 2);
        assertThat(map.edges()).extracting(e -> e.ports().getFirst()).containsExactly("TCP/80", "TCP/80");
        assertThat(ServiceMap.edgeIds(reply)).containsExactly(
                "pod:y/b -> service:x/web FORWARDED", "service:x/web -> pod:x/a FORWARDED");
        ServiceMap.Node web = map.nodes().stream().filter(n -> n.kind().equals("service")).findFirst().orElseThrow();
        assertThat(web.id()).isEqualTo("service:x/web");
        assertThat(web.label()).isEqualTo("web");
        assertThat(web.namespace()).isEqualTo("x");
    }

    @Test
    void peersWithoutAPodAreEntitiesCidrsIdentitiesOrAddresses() {
        FlowPeer cidr = new FlowPeer(16777217, null, null, List.of("cidr:203.0.113.0/24"));
        FlowPeer host = new FlowPeer(1, null, null, List.of("reserved:host"));
        FlowPeer linkLocal = new FlowPeer(256, null, null, List.of("k8s:io.kubernetes.pod.namespace=x",
                "k8s:io.kubernetes.pod.namespace.labels.ns=x", "k8s:pod=a"));
        FlowPeer unknown = new FlowPeer(0, null, null, List.of());
        ServiceMap map = ServiceMap.of(List.of(
                HubbleJson.render(tcp(1, Verdict.DROPPED, cidr, "203.0.113.9", XA, "10.244.1.10", 80, false, "node1")),
                HubbleJson.render(tcp(2, Verdict.FORWARDED, host, "192.168.100.1", XA, "10.244.1.10", 80, false, "node1")),
                HubbleJson.render(tcp(3, Verdict.FORWARDED, linkLocal, "fe80::1", unknown, "ff02::2", 80, false, "node1"))));
        assertThat(map.nodes()).extracting(ServiceMap.Node::id, ServiceMap.Node::kind, ServiceMap.Node::label, ServiceMap.Node::namespace)
                .containsExactly(
                        tuple("reserved:host", "entity", "host", ""),
                        tuple("cidr:203.0.113.0/24", "cidr", "203.0.113.0/24", ""),
                        tuple("ip:ff02::2", "ip", "ff02::2", ""),
                        tuple("pod:x/a", "pod", "a", "x"),
                        tuple("identity:256", "identity", "pod=a (ID 256)", "x"));
        assertThat(map.edges()).extracting(ServiceMap.Edge::id).containsExactly(
                "cidr:203.0.113.0/24 -> pod:x/a DROPPED", "identity:256 -> ip:ff02::2 FORWARDED",
                "reserved:host -> pod:x/a FORWARDED");
    }

    @Test
    void theLayoutIsOneColumnPerNamespaceServicesFirstWhateverTheOrderOfTheFlows() {
        List<JsonNode> flows = new ArrayList<>(List.of(
                HubbleJson.render(tcp(1, Verdict.FORWARDED, YB, "10.244.2.20", XC, "10.244.1.30", 80, false, "node1")),
                HubbleJson.render(tcp(2, Verdict.DROPPED, YB, "10.244.2.20", XA, "10.244.1.10", 81, false, "node1")),
                HubbleJson.render(via(tcp(3, Verdict.AUDIT, YB, "10.244.2.20", XC, "10.244.1.30", 80, false, "node1"),
                        "x", "web", "10.96.0.10:80"))));
        ServiceMap map = ServiceMap.of(flows);
        Collections.reverse(flows);
        assertThat(ServiceMap.of(flows)).as("deterministic").isEqualTo(map);

        assertThat(map.columns()).extracting(ServiceMap.Column::title).containsExactly("namespace x", "namespace y");
        assertThat(map.nodes()).extracting(ServiceMap.Node::id)
                .containsExactly("service:x/web", "pod:x/a", "pod:x/c", "pod:y/b");
        ServiceMap.Node web = map.nodes().get(0);
        ServiceMap.Node xa = map.nodes().get(1);
        ServiceMap.Node yb = map.nodes().get(3);
        assertThat(xa.x()).isEqualTo(web.x());
        assertThat(xa.y()).isEqualTo(web.y() + ServiceMap.ROW_HEIGHT);
        assertThat(yb.x()).isEqualTo(web.x() + ServiceMap.COLUMN_WIDTH);
        assertThat(yb.y()).isEqualTo(web.y());
        assertThat(map.width()).isGreaterThanOrEqualTo(yb.x() + ServiceMap.NODE_WIDTH / 2);
        assertThat(map.height()).isGreaterThanOrEqualTo(map.nodes().get(2).y() + ServiceMap.NODE_HEIGHT / 2);
        assertThat(map.edges()).extracting(ServiceMap.Edge::verdict).containsExactlyInAnyOrder("FORWARDED", "DROPPED", "AUDIT", "AUDIT");
    }

    @Test
    void noFlowsGiveAnEmptyMapThatStillHasASize() {
        ServiceMap map = ServiceMap.of(List.of());
        assertThat(map.nodes()).isEmpty();
        assertThat(map.edges()).isEmpty();
        assertThat(map.width()).isPositive();
        assertThat(map.height()).isPositive();
    }
}
