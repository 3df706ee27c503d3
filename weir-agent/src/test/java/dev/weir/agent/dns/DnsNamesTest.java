package dev.weir.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.weir.testkit.DnsWire;

import org.junit.jupiter.api.Test;

/** The per-endpoint address-to-name cache and the --fqdn patterns. */
class DnsNamesTest {

    static final Instant T = Instant.parse("2026-12-06T12:00:00Z");

    static DnsMessage response(String name, int rcode, long ttl, String... ips) {
        byte[] q = DnsWire.query(1, name, DnsWire.A);
        List<DnsWire.Answer> answers = java.util.Arrays.stream(ips).map(ip -> new DnsWire.Answer(null,
                ip.contains(":") ? DnsWire.AAAA : DnsWire.A, ttl, ip)).toList();
        return (DnsMessage) DnsParser.parse(DnsWire.response(q, rcode, answers));
    }

    @Test
    void anEndpointsResponseNamesItsAddressesForThatEndpointUntilTheTtl() {
        DnsNames names = new DnsNames(new DnsNames.Config(100, Duration.ofSeconds(10)));
        names.learn(1, response("web.example.org", 0, 30, "10.0.0.1", "fd00::1"), T);
        assertThat(names.names(1, "10.0.0.1", T.plusSeconds(29))).containsExactly("web.example.org");
        assertThat(names.names(1, "fd00::1", T)).containsExactly("web.example.org");
        assertThat(names.names(2, "10.0.0.1", T)).as("another endpoint resolved nothing").isEmpty();
        assertThat(names.names(1, "10.0.0.1", T.plusSeconds(30))).as("expired with its TTL").isEmpty();
    }

    @Test
    void shortTtlsAreKeptTheMinimumAndSeveralNamesAreSorted() {
        DnsNames names = new DnsNames(new DnsNames.Config(100, Duration.ofSeconds(10)));
        names.learn(1, response("b.example.org", 0, 0, "10.0.0.1"), T);
        names.learn(1, response("a.example.org", 0, 60, "10.0.0.1"), T);
        assertThat(names.names(1, "10.0.0.1", T.plusSeconds(9))).containsExactly("a.example.org", "b.example.org");
        assertThat(names.names(1, "10.0.0.1", T.plusSeconds(11))).containsExactly("a.example.org");
    }

    @Test
    void queriesNxdomainAndOldPairsBeyondTheBoundTeachNothing() {
        DnsNames names = new DnsNames(new DnsNames.Config(2, Duration.ZERO));
        names.learn(1, (DnsMessage) DnsParser.parse(DnsWire.query(1, "q.example.org", DnsWire.A)), T);
        names.learn(1, response("nx.example.org", DnsWire.NXDOMAIN, 30), T);
        assertThat(names.size()).isZero();
        names.learn(1, response("a.example.org", 0, 30, "10.0.0.1", "10.0.0.2", "10.0.0.3"), T);
        assertThat(names.size()).isEqualTo(2);
        assertThat(names.names(1, "10.0.0.1", T)).as("the least recently used pair went").isEmpty();
        assertThat(names.names(1, "10.0.0.3", T)).containsExactly("a.example.org");
    }

    @Test
    void patternsMatchAsCiliumsMatchPattern() {
        DnsPattern star = DnsPattern.parse("*.example.org");
        assertThat(star.matches("www.example.org.")).isTrue();
        assertThat(star.matches("WWW.Example.ORG")).isTrue();
        assertThat(star.matches("a.b.example.org")).isFalse();
        assertThat(star.matches("example.org")).isFalse();
        assertThat(star.matches("www.example.org.evil")).isFalse();
        assertThat(DnsPattern.parse("web.example.org.").matches("web.example.org")).isTrue();
        assertThat(DnsPattern.parse("w*.example.org").matches("web.example.org")).isTrue();
        assertThat(DnsPattern.parse("w*.example.org").matches("api.example.org")).isFalse();
        assertThat(DnsPattern.parse("*").matches("anything.at.all.")).isTrue();
        assertThat(DnsPattern.parse("*").matches(null)).isFalse();
        assertThatThrownBy(() -> DnsPattern.parse("bad name")).hasMessageContaining("fqdn pattern 'bad name'");
        assertThatThrownBy(() -> DnsPattern.parse("a..b")).hasMessageContaining("fqdn pattern 'a..b'");
    }
}
