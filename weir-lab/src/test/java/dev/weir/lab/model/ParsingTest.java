package dev.weir.lab.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ParsingTest {

    @Test
    void portSpecs() {
        assertThat(PortSpec.parse("tcp/80")).isEqualTo(new PortSpec(Protocol.TCP, 80));
        assertThat(PortSpec.parse("UDP/81").toString()).isEqualTo("UDP/81");
        assertThatThrownBy(() -> PortSpec.parse("SCTP/80")).hasMessageContaining("unknown protocol 'SCTP'");
        assertThatThrownBy(() -> PortSpec.parse("TCP/x")).hasMessageContaining("'x' in 'TCP/x' is not a port");
        assertThatThrownBy(() -> PortSpec.parse("TCP/70000")).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> PortSpec.parse("80")).hasMessageContaining("PROTO/PORT");
    }

    @Test
    void podRefs() {
        assertThat(PodRef.parse("x/a")).isEqualTo(new PodRef("x", "a"));
        assertThat(PodRef.parse("x/a").key()).isEqualTo("x-a");
        assertThat(PodRef.looksLike("x/a")).isTrue();
        assertThat(PodRef.looksLike("10.0.0.1")).isFalse();
        assertThat(PodRef.looksLike("ext")).isFalse();
        assertThatThrownBy(() -> PodRef.parse("x/")).hasMessageContaining("NS/POD");
        assertThatThrownBy(() -> PodRef.parse("X/a")).hasMessageContaining("invalid pod name");
    }

    @Test
    void families() {
        assertThat(Family.of(6)).isEqualTo(Family.IPV6);
        assertThat(Family.ofAddress("fd00::1")).isEqualTo(Family.IPV6);
        assertThatThrownBy(() -> Family.of(5)).hasMessageContaining("4 or 6");
    }
}
