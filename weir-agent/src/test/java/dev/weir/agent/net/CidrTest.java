package dev.weir.agent.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CidrTest {

    @Test
    void parsesAndNormalizes() {
        assertThat(Cidr.parse("203.0.113.7/24").toString()).isEqualTo("203.0.113.0/24");
        assertThat(Cidr.parse("10.244.1.10").toString()).isEqualTo("10.244.1.10/32");
        assertThat(Cidr.parse("fd00:10:244:1::30").toString()).isEqualTo("fd00:10:244:1::30/128");
        assertThat(Cidr.parse("2001:db8::1/32").toString()).isEqualTo("2001:db8::/32");
        assertThat(Cidr.parse("0.0.0.0/0").length()).isZero();
    }

    @Test
    void rejectsMalformedInputWithTheReason() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("exceeds 32");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.256/8")).hasMessageContaining("octet 256");
        assertThatThrownBy(() -> Cidr.parse("example.com")).hasMessageContaining("not an IPv4 or IPv6 literal");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> Cidr.parse("fd00::/129")).hasMessageContaining("exceeds 128");
    }

    @Test
    void dottedQuadsReadWithoutTheGeneralPathGiveWhatItGives() throws Exception {
        for (String a : java.util.List.of("0.0.0.0", "255.255.255.255", "10.244.1.10", "1.2.3.4", "192.168.100.1", "9.99.199.249")) {
            assertThat(Cidr.parseAddress(a, a)).as(a).isEqualTo(java.net.InetAddress.getByName(a).getAddress());
        }
        // not plain quads: the general path decides, as before
        assertThatThrownBy(() -> Cidr.parseAddress("10.0.0.256", "x")).hasMessageContaining("octet 256");
        assertThatThrownBy(() -> Cidr.parseAddress("1.2.3", "x")).hasMessageContaining("not an IPv4 or IPv6 literal");
        assertThatThrownBy(() -> Cidr.parseAddress("1.2.3.4.", "x")).hasMessageContaining("not an IPv4 or IPv6 literal");
        assertThatThrownBy(() -> Cidr.parseAddress(".1.2.3", "x")).hasMessageContaining("not an IPv4 or IPv6 literal");
        assertThatThrownBy(() -> Cidr.parseAddress("1..2.3", "x")).hasMessageContaining("not an IPv4 or IPv6 literal");
        assertThatThrownBy(() -> Cidr.parseAddress("1.2.3.4444", "x")).hasMessageContaining("not an IPv4 or IPv6 literal");
        assertThat(Cidr.parseAddress("::ffff:1.2.3.4", "x")).hasSize(16);
    }

    @Test
    void containment() {
        Cidr eight = Cidr.parse("10.0.0.0/8");
        assertThat(eight.contains(Cidr.parse("10.1.0.0/16"))).isTrue();
        assertThat(Cidr.parse("10.1.0.0/16").contains(eight)).isFalse();
        assertThat(eight.contains(Cidr.parse("fd00::/8"))).isFalse();
        assertThat(eight.containsAddress(new byte[] {10, 9, 8, 7})).isTrue();
        assertThat(eight.compareTo(Cidr.parse("10.0.0.0/16"))).isNegative();
    }

    @Test
    void portsAndProtocols() {
        assertThat(PortRange.parse("8000-8080").size()).isEqualTo(81);
        assertThat(PortRange.parse("53")).isEqualTo(PortRange.single(53));
        assertThatThrownBy(() -> PortRange.parse("0")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> PortRange.parse("90-80")).hasMessageContaining("end before start");
        assertThatThrownBy(() -> PortRange.parse("http")).hasMessageContaining("not a number");
        assertThat(Protocol.parse("icmp6")).isEqualTo(Protocol.ICMPV6);
        assertThatThrownBy(() -> Protocol.parse("gre")).hasMessageContaining("unknown protocol 'gre'");
    }
}
