package dev.weir.agent.flow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneOffset;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.dns.DnsPattern;
import dev.weir.testkit.DnsWire;

import org.junit.jupiter.api.Test;

/**
 * DNS visibility in the flow pipeline: DNS events become L7 DNS flows (Hubble's {@code l7.dns}), a response
 * x/a received names the addresses of x/a's later flows ({@code destination_names}), and {@code fqdn}
 * filters find both.
 */
class DnsFlowTest {

    static final byte[] QUERY = DnsWire.query(0x42, "web.example.org", DnsWire.A);
    static final byte[] ANSWER = DnsWire.response(QUERY, DnsWire.NOERROR,
            List.of(new DnsWire.Answer(null, DnsWire.A, 30, "192.0.2.7")));

    final FlowDecorator decorator = FlowFixtures.decorator();
    final FlowHistory history = new FlowHistory(FlowHistory.Config.defaults(), decorator);

    /** A DNS packet of x/a (endpoint 1): its query to y/b (egress) or y/b's answer to it (ingress). */
    static RawDnsEvent dns(byte[] message, boolean query, int verdict, int secondsLater) {
        RawFlowEvent p = query
                ? new RawFlowEvent(FlowFixtures.T0.plusSeconds(secondsLater), 1, 3, 256, 257, 0, verdict == 2 ? 142 : 0,
                        verdict, 1, false, 4, 17, 0, 0, 40000, 53, "10.244.1.10", "10.244.2.20", message.length)
                : new RawFlowEvent(FlowFixtures.T0.plusSeconds(secondsLater), 1, 3, 257, 256, 0, 0, verdict, 0, false, 4,
                        17, 0, 0, 53, 40000, "10.244.2.20", "10.244.1.10", message.length);
        return new RawDnsEvent(p, message, message.length);
    }

    /** x/a's new TCP connection to an address outside the cluster. */
    static RawFlowEvent connect(String ip, int secondsLater) {
        return new RawFlowEvent(FlowFixtures.T0.plusSeconds(secondsLater), 1, 3, 256, 2, 0, 0, 1, 1, false, 4, 6, 0x02,
                0, 43000, 443, "10.244.1.10", ip, 60);
    }

    static FlowFilter fqdn(String... patterns) {
        return new FlowFilter(null, null, null, null, null, null, null, null, null, null, null,
                java.util.Arrays.stream(patterns).map(DnsPattern::parse).toList());
    }

    @Test
    void aQueryAndItsResponseAreL7DnsFlowsWithHubblesFields() throws Exception {
        JsonNode q = HubbleJson.render(decorator.decorateDns(dns(QUERY, true, 1, 0), 1));
        assertThat(q.path("Type").asText()).isEqualTo("L7");
        assertThat(q.path("l7")).isEqualTo(new ObjectMapper().readTree("""
                {"type":"REQUEST","dns":{"query":"web.example.org.","observation_source":"tc","rcode":0,"qtypes":["A"]}}"""));
        assertThat(q.path("Summary").asText()).isEqualTo("DNS Query web.example.org. A");
        assertThat(q.path("l4").path("UDP").path("destination_port").asInt()).isEqualTo(53);

        JsonNode r = HubbleJson.render(decorator.decorateDns(dns(ANSWER, false, 1, 1), 2));
        // as text: the TTL is a long (unsigned 32-bit), the text's 30 an int
        assertThat(r.path("l7").toString()).isEqualTo(new ObjectMapper().readTree("""
                {"type":"RESPONSE","dns":{"query":"web.example.org.","ips":["192.0.2.7"],"ttl":30,
                 "observation_source":"tc","rcode":0,"qtypes":["A"],"rrtypes":["A"]}}""").toString());
        assertThat(r.path("Summary").asText()).isEqualTo("DNS Answer \"192.0.2.7\" TTL: 30 (web.example.org. A)");
        assertThat(CompactFormat.line(r, ZoneOffset.UTC)).isEqualTo("Jun  2 12:00:01.123: y/b:53 (ID:257) -> x/a:40000 (ID:256) "
                + "dns-response FORWARDED (DNS Answer \"192.0.2.7\" TTL: 30 (web.example.org. A))");
    }

    @Test
    void theResolvedAddressNamesThePodsLaterFlowsUntilTheTtlRunsOut() {
        history.publish(connect("192.0.2.7", 0));
        history.publishDns(dns(ANSWER, false, 1, 1));
        history.publish(connect("192.0.2.7", 2));
        history.publish(connect("192.0.2.8", 3));
        history.publish(connect("192.0.2.7", 100));
        List<FlowRecord> flows = history.query(FlowFilter.ALL, 0);
        assertThat(flows).extracting(FlowRecord::destinationNames).containsExactly(List.of(), List.of(),
                List.of("web.example.org"), List.of(), List.of());
        JsonNode named = HubbleJson.render(flows.get(2));
        assertThat(named.path("destination_names").get(0).asText()).isEqualTo("web.example.org");
        assertThat(named.has("source_names")).isFalse();
        assertThat(CompactFormat.line(named, ZoneOffset.UTC)).contains("-> web.example.org(192.0.2.7):443 (world)");

        assertThat(history.query(fqdn("*.example.org"), 0)).extracting(FlowRecord::seq).containsExactly(2L, 3L);
        assertThat(history.query(fqdn("web.example.org", "other.org"), 0)).hasSize(2);
        assertThat(history.query(fqdn("*.other.org"), 0)).isEmpty();
    }

    @Test
    void aDroppedQueryKeepsItsNameAndAMalformedOneSaysWhy() {
        FlowRecord dropped = decorator.decorateDns(dns(DnsWire.query(1, "denied.example.org", DnsWire.A), true, 2, 0), 1);
        assertThat(dropped.verdict()).isEqualTo(Verdict.DROPPED);
        assertThat(dropped.dns().query()).isEqualTo("denied.example.org.");
        assertThat(dropped.summary()).startsWith("DNS Query denied.example.org. A (");
        assertThat(fqdn("denied.example.org").matches(dropped)).isTrue();

        FlowRecord bad = decorator.decorateDns(dns(new byte[] {1, 2, 3}, true, 1, 0), 2);
        assertThat(bad.dns().error()).isEqualTo("3 bytes, shorter than the 12-byte header");
        assertThat(bad.summary()).isEqualTo("DNS malformed: 3 bytes, shorter than the 12-byte header");
        assertThat(HubbleJson.render(bad).path("l7").path("dns").path("error").asText()).contains("12-byte header");
        assertThat(fqdn("*").matches(bad)).isFalse();
    }

    @Test
    void anNxdomainAnswerShowsItsRcodeAndTeachesNoName() {
        byte[] q = DnsWire.query(3, "nope.example.org", DnsWire.A);
        FlowRecord nx = decorator.decorateDns(dns(DnsWire.response(q, DnsWire.NXDOMAIN, List.of()), false, 1, 0), 1);
        assertThat(nx.dns().rcode()).isEqualTo(3);
        assertThat(nx.summary()).isEqualTo("DNS Answer RCode: NXDOMAIN (nope.example.org. A)");
        assertThat(HubbleJson.render(nx).path("l7").path("dns").path("rcode").asInt()).isEqualTo(3);
    }
}
