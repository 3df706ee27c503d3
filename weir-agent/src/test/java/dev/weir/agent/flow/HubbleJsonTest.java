package dev.weir.agent.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

class HubbleJsonTest {

    private final FlowDecorator decorator = FlowFixtures.decorator();

    @Test
    void forwardedTcpFlowHasHubblesShape() throws Exception {
        JsonNode j = HubbleJson.render(decorator.decorate(FlowFixtures.tcp(80, 1, 0), 1));
        JsonNode expected = new ObjectMapper().readTree("""
                {"time":"2026-06-02T12:00:00.123Z","verdict":"FORWARDED",
                 "IP":{"source":"10.244.1.10","destination":"10.244.2.20","ipVersion":"IPv4"},
                 "l4":{"TCP":{"source_port":43210,"destination_port":80,"flags":{"SYN":true}}},
                 "source":{"identity":256,"namespace":"x",
                           "labels":["k8s:io.kubernetes.pod.namespace=x","k8s:pod=a"],"pod_name":"a"},
                 "destination":{"identity":257,"namespace":"y",
                           "labels":["k8s:io.kubernetes.pod.namespace=y","k8s:pod=b"],"pod_name":"b"},
                 "Type":"L3_L4","node_name":"node1","traffic_direction":"INGRESS","is_reply":false,
                 "policy_match_type":2,
                 "ingress_allowed_by":[{"kind":"NetworkPolicy","namespace":"y","name":"allow-80"}],
                 "Summary":"TCP Flags: SYN"}""");
        assertThat(j).isEqualTo(expected);
    }

    @Test
    void droppedFlowNamesTheReasonAsHubbleDoes() {
        JsonNode j = HubbleJson.render(decorator.decorate(FlowFixtures.tcp(81, 2, 1), 2));
        assertThat(j.path("verdict").asText()).isEqualTo("DROPPED");
        assertThat(j.path("drop_reason_desc").asText()).isEqualTo("POLICY_DENIED");
        assertThat(j.path("drop_reason").asInt()).isEqualTo(142);
        assertThat(j.has("policy_match_type")).isFalse();
        assertThat(j.has("ingress_allowed_by")).isFalse();
    }

    @Test
    void replyUdpOverIpv6() {
        JsonNode j = HubbleJson.render(decorator.decorate(FlowFixtures.udpReply(), 3));
        assertThat(j.path("IP").path("ipVersion").asText()).isEqualTo("IPv6");
        assertThat(j.path("l4").path("UDP").path("source_port").asInt()).isEqualTo(53);
        assertThat(j.path("is_reply").asBoolean()).isTrue();
        assertThat(j.path("Summary").asText()).isEqualTo("UDP");
    }

    @Test
    void compactLinesLookLikeHubbleObserve() {
        String forwarded = CompactFormat.line(HubbleJson.render(decorator.decorate(FlowFixtures.tcp(80, 1, 0), 1)), ZoneOffset.UTC);
        assertThat(forwarded).isEqualTo("Jun  2 12:00:00.123: x/a:43210 (ID:256) -> y/b:80 (ID:257) "
                + "policy-verdict:L3-L4 INGRESS ALLOWED (TCP Flags: SYN)");
        String dropped = CompactFormat.line(HubbleJson.render(decorator.decorate(FlowFixtures.tcp(81, 2, 1), 2)), ZoneOffset.UTC);
        assertThat(dropped).startsWith("Jun  2 12:00:01.123: x/a:43210 (ID:256) -> y/b:81 (ID:257) POLICY_DENIED DROPPED (TCP Flags: SYN");
        String reply = CompactFormat.line(HubbleJson.render(decorator.decorate(FlowFixtures.udpReply(), 3)), ZoneOffset.UTC);
        assertThat(reply).contains("x/a:40000 (ID:256) <- y/b:53 (ID:257)");
    }

    @Test
    void aTranslatedFlowNamesItsServiceAndFrontend() {
        FlowRecord f = decorator.decorate(FlowFixtures.tcpViaService(7), 4);
        JsonNode j = HubbleJson.render(f);
        assertThat(j.path("destination_service").path("namespace").asText()).isEqualTo("x");
        assertThat(j.path("destination_service").path("name").asText()).isEqualTo("web");
        assertThat(j.path("destination_service").path("frontend").asText()).isEqualTo("10.96.0.10:80");
        assertThat(j.path("destination").path("pod_name").asText()).as("the backend").isEqualTo("b");
        assertThat(CompactFormat.line(j, ZoneOffset.UTC)).isEqualTo("Jun  2 12:00:00.123: x/a:43214 (ID:256) -> y/b:80 (ID:257) "
                + "via x/web (10.96.0.10:80) policy-verdict:L3-L4 EGRESS ALLOWED (TCP Flags: SYN)");
        assertThat(HubbleJson.render(decorator.decorate(FlowFixtures.tcpViaService(8), 5)).path("destination_service")
                .path("frontend").asText()).isEqualTo("[fd00:10:96::10]:80");
        assertThat(HubbleJson.render(decorator.decorate(FlowFixtures.tcpViaService(99), 6)).has("destination_service"))
                .as("an unknown rev-NAT id names nothing").isFalse();
        FlowFilter web = new FlowFilter(null, null, null, null, null, null, null, null, null, null, java.util.List.of("x/web"));
        assertThat(web.matches(f)).isTrue();
        assertThat(web.matches(decorator.decorate(FlowFixtures.tcp(80, 1, 0), 1))).isFalse();
        assertThat(new FlowFilter(null, null, null, null, null, null, null, null, null, null, java.util.List.of("web")).matches(f))
                .as("a bare name is in default").isFalse();
    }

    @Test
    void aSocketTranslationNamesItsPodByEndpointAndTheService() {
        RawFlowEvent sock = new RawFlowEvent(FlowFixtures.T0, 1, 0, 0, 257, 0, 10, 5, 1, false, 4, 6, 0, 0, 0, 80,
                "0.0.0.0", "10.244.2.20", 0, 3, 7);
        JsonNode j = HubbleJson.render(decorator.decorate(sock, 7));
        assertThat(j.path("verdict").asText()).isEqualTo("TRANSLATED");
        assertThat(j.path("IP").path("source").asText()).as("the pod's address, the socket had none yet").isEqualTo("10.244.1.10");
        assertThat(j.path("source").path("pod_name").asText()).isEqualTo("a");
        assertThat(j.path("destination").path("pod_name").asText()).isEqualTo("b");
        assertThat(j.path("destination_service").path("name").asText()).isEqualTo("web");
        assertThat(CompactFormat.line(j, ZoneOffset.UTC)).contains("-> y/b:80 (ID:257) via x/web (10.96.0.10:80) sock-xlate-fwd TRANSLATED");
        assertThat(new FlowFilter(java.util.List.of("translated"), null, null, null, null, null, null, null, null, null)
                .matches(decorator.decorate(sock, 7))).isTrue();
    }

    @Test
    void anUnderlayTranslationIsNamedAsTheUnderlays() {
        RawFlowEvent np = new RawFlowEvent(FlowFixtures.T0, 0, 4, 2, 1, 0, 10, 5, 0, false, 4, 6, 2, 0, 40000, 30080,
                "192.168.100.200", "192.168.100.1", 60, 3, 7);
        JsonNode j = HubbleJson.render(decorator.decorate(np, 8));
        assertThat(j.path("verdict").asText()).isEqualTo("TRANSLATED");
        assertThat(j.path("Summary").asText()).isEqualTo("TCP translated to a backend by the underlay");
        assertThat(j.path("destination_service").path("name").asText()).isEqualTo("web");
        assertThat(CompactFormat.line(j, ZoneOffset.UTC)).contains("192.168.100.200:40000 (world) -> 192.168.100.1:30080 (host)",
                "nodeport-xlate TRANSLATED");
    }
}
