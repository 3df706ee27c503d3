package dev.weir.datapath.prefilter;

import static dev.weir.testkit.Frames.*;
import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.datapath.prefilter.Slots.Side.NONE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import dev.weir.datapath.DropReason;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** Sampled drop events in pf_events through BPF_PROG_TEST_RUN and the ring buffer reader. */
class PrefilterEventsTest {

    Prefilter pf;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 22), 1L); // slot 0: TCP/22
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    @Test
    void sampledDropEvents() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).sampleEvery(1).build());
        byte[] ssh = ipv4("10.0.0.1", "10.0.0.2", tcp(4321, 22)).eth();
        assertThat(pf.run(ssh)).isEqualTo(XDP_DROP);
        byte[] cut = Arrays.copyOf(vlan(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 2)).build(), 3), 16);
        assertThat(pf.run(cut)).isEqualTo(XDP_DROP);
        assertThat(pf.run(ipv4("10.0.0.1", "10.0.0.2", tcp(4321, 80)).eth())).isEqualTo(XDP_PASS);
        List<PfEvent> events = pf.drainEvents();
        assertThat(events).hasSize(2);
        PfEvent e = events.get(0);
        assertThat(e.dropReason()).contains(DropReason.DROP_DENY_RULE);
        assertThat(e.rule()).isEqualTo(1);
        assertThat(e.family()).isEqualTo(4);
        assertThat(e.proto()).isEqualTo(TCP);
        assertThat(e.sport()).isEqualTo(4321);
        assertThat(e.dport()).isEqualTo(22);
        assertThat(e.source()).contains(ip("10.0.0.1"));
        assertThat(e.destination()).contains(ip("10.0.0.2"));
        assertThat(e.pktLen()).isEqualTo(ssh.length);
        assertThat(e.data()).isEqualTo(ssh);
        assertThat(e.tsNs()).isPositive();
        PfEvent g = events.get(1);
        assertThat(g.dropReason()).contains(DropReason.DROP_VLAN_TRUNC);
        assertThat(g.family()).isZero();
        assertThat(g.rule()).isEqualTo(PfFragVal.RULE_NONE);
        assertThat(g.data()).isEqualTo(cut);
        byte[] big = ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22, 400)).eth();
        pf.run(big);
        PfEvent b = pf.drainEvents().get(0);
        assertThat(b.data()).isEqualTo(Arrays.copyOf(big, PfEvent.SNAP));
        assertThat(b.source()).contains(ip("2001:db8::1"));
        assertThat(pf.packets(DropReason.EVENTS_SENT)).isEqualTo(3);
        assertThat(pf.packets(DropReason.EVENTS_LOST)).isZero();
    }

    @Test
    void samplingOneInN() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).sampleEvery(4).build());
        byte[] ssh = ipv4("10.0.0.1", "10.0.0.2", tcp(4321, 22)).eth();
        for (int i = 0; i < 40; i++) {
            pf.run(ssh);
        }
        // 1-in-4 per CPU: the 1st, 5th, ... drop of each CPU the test thread ran on
        long expected = pf.sampleSequences().stream().mapToLong(n -> (n + 3) / 4).sum();
        assertThat(pf.sampleSequences().stream().mapToLong(Long::longValue).sum()).isEqualTo(40);
        assertThat(pf.drainEvents()).hasSize((int) expected);
        assertThat(expected).isBetween(10L, 40L);
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).sampleEvery(0).build());
        pf.run(ssh);
        assertThat(pf.drainEvents()).isEmpty();
    }

    @Test
    void fullRingBufferCountsLostEvents() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).sampleEvery(1).build());
        byte[] ssh = ipv4("10.0.0.1", "10.0.0.2", tcp(4321, 22)).eth();
        int n = 600; // the fixture's 64 KiB ring holds about 310 events of 200 + 8 bytes
        for (int i = 0; i < n; i++) {
            assertThat(pf.run(ssh)).isEqualTo(XDP_DROP);
        }
        long sent = pf.packets(DropReason.EVENTS_SENT);
        long lost = pf.packets(DropReason.EVENTS_LOST);
        assertThat(sent + lost).isEqualTo(n);
        assertThat(lost).isPositive();
        assertThat(pf.drainEvents()).hasSize((int) sent);
        assertThat(pf.packets(DropReason.DROP_DENY_RULE)).isEqualTo(n);
        // drained, the ring takes events again
        pf.run(ssh);
        assertThat(pf.drainEvents()).hasSize(1);
    }
}
