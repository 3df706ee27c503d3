package dev.weir.lab.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class AddressesTest {

    @Test
    void ipv6IsWrittenTheShortWay() {
        assertThat(Addresses.canonical("fd00:10:244:1:0:0:0:30")).isEqualTo("fd00:10:244:1::30");
        assertThat(Addresses.canonical("fd00:0:0:1:0:0:0:1")).isEqualTo("fd00:0:0:1::1");
        assertThat(Addresses.canonical("::")).isEqualTo("::");
        assertThat(Addresses.canonical("::1")).isEqualTo("::1");
        assertThat(Addresses.canonical("fe80::")).isEqualTo("fe80::");
        assertThat(Addresses.canonical("1:0:2:0:3:0:4:0")).isEqualTo("1:0:2:0:3:0:4:0");
        assertThat(Addresses.canonical("FD00:192:168:100::200")).isEqualTo("fd00:192:168:100::200");
    }

    @Test
    void ipv4AndMappedAddressesAreDottedQuads() throws Exception {
        assertThat(Addresses.canonical("10.244.1.10")).isEqualTo("10.244.1.10");
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        assertThat(Addresses.format(InetAddress.getByAddress(mapped))).isEqualTo("10.0.0.7");
    }
}
