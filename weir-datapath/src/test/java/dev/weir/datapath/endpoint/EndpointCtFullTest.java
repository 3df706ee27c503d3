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
 * which an LRU map does not do in practice: the same program built with a plain hash table
 * ({@code bpf/test/tc_endpoint_hash_ct.c}) refuses inserts when full, and shows the path.
 */
class EndpointCtFullTest extends EndpointTestBase {

    static final int CT_ENTRIES = 16;

    @Override
    EndpointDatapath create() {
        return new EndpointDatapath(CT_ENTRIES, 64 * 1024);
    }

    @Test
    void aRefusedInsertDropsTheNewConnectionAndCountsIt() {
        try (EndpointDatapath full = new EndpointDatapath("tc_endpoint_hash_ct", CT_ENTRIES, 64 * 1024)) {
            full.identity(A4 + "/32", ID_A);
            full.identity(B4 + "/32", ID_B);
            for (int i = 0; i < CT_ENTRIES; i++) {
                assertThat(full.to(B, ipv4(A4, B4, udp(10000 + i, 53)).eth())).as("connection %d", i).isEqualTo(TC_ACT_OK);
            }
            assertThat(full.ct.count()).isEqualTo(CT_ENTRIES);
            full.drainEvents();
            // the table is full: a new connection is dropped, never passed untracked
            assertThat(full.to(B, ipv4(A4, B4, udp(20000, 53)).eth())).isEqualTo(EndpointDatapath.TC_ACT_SHOT);
            assertThat(full.packets(DropReason.DROP_CT_FULL)).isEqualTo(1);
            assertThat(full.onlyEvent().reason()).isEqualTo(DropReason.DROP_CT_FULL.code());
            // established connections go on
            assertThat(full.to(B, ipv4(A4, B4, udp(10000, 53)).eth())).isEqualTo(TC_ACT_OK);
            assertThat(full.packets(DropReason.DROP_CT_FULL)).isEqualTo(1);
        }
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
