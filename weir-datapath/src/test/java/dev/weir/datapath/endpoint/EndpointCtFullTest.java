package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.datapath.DropReason;

import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/**
 * A full conntrack table. {@code ct} is an LRU hash: an insert into a full table evicts the least
 * recently used entry (LRU lists are per CPU, so eviction can start a little before the table looks
 * full), and new connections keep passing. DROP_CT_FULL is for an insert the kernel still refuses,
 * which an LRU map does not do in practice; it cannot be provoked here.
 */
class EndpointCtFullTest extends EndpointTestBase {

    static final int CT_ENTRIES = 16;

    @Override
    EndpointDatapath create() {
        return new EndpointDatapath(CT_ENTRIES, 64 * 1024);
    }

    @Test
    void newConnectionsEvictOldOnes() {
        int n = CT_ENTRIES * 8;
        for (int i = 0; i < n; i++) {
            assertThat(dp.to(B, ipv4(A4, B4, udp(10000 + i, 53)).eth())).as("connection %d", i).isEqualTo(TC_ACT_OK);
        }
        assertThat(dp.packets(DropReason.PASS)).isEqualTo(n);
        assertThat(dp.packets(DropReason.DROP_CT_FULL)).isZero();
        assertThat(dp.ct.count()).isLessThanOrEqualTo(CT_ENTRIES);
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 10000 + n - 1, 53, UDP, IN, EP_B))).isPresent();
        assertThat(dp.ct(CtKey.of(ip(A4), ip(B4), 10000, 53, UDP, IN, EP_B))).isEmpty();
    }
}
