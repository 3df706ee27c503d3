package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Event addresses print the way endpoints list theirs, so that the decorator finds the pods. */
class FlowEventsTest {

    @Test
    void addressesAreDottedQuadsAndCompressedIpv6() {
        byte[] v4 = new byte[16];
        v4[10] = (byte) 0xff;
        v4[11] = (byte) 0xff;
        v4[12] = 10;
        v4[13] = (byte) 244;
        v4[14] = 1;
        v4[15] = 10;
        assertThat(FlowEvents.text(v4, 4)).isEqualTo("10.244.1.10");
        byte[] v6 = {(byte) 0xfd, 0, 0, 0x10, 0x02, 0x44, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10};
        assertThat(FlowEvents.text(v6, 6)).isEqualTo("fd00:10:244:1::10");
    }
}
