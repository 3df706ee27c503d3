package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.weir.datapath.DropReason;

import org.junit.jupiter.api.Test;
import dev.weir.testkit.Frames;

/** Flow events: traces of forwarded packets, replies flagged, and the sent/lost bookkeeping. */
class EndpointEventsTest extends EndpointTestBase {

    static final int RING_BYTES = 4096;

    @Override
    EndpointDatapath create() {
        return new EndpointDatapath(64, RING_BYTES);
    }

    @Test
    void tracesEveryNthForwardedPacketWithoutAnEventOfItsOwn() {
        dp.cfg.put(0, EpCfg.DEFAULTS.withTraceEvery(1));
        dp.to(B, ipv4(A4, B4, tcpFlags(1, 80, SYN)).eth());
        dp.from(B, ipv4(B4, A4, tcpFlags(80, 1, SYN | ACK)).eth());
        dp.to(B, ipv4(A4, B4, tcpFlags(1, 80, ACK)).eth());
        dp.to(B, arp());
        List<FlowEvent> events = dp.drainEvents();
        assertThat(events).extracting(FlowEvent::verdict)
                .containsExactly(FlowEvent.FORWARDED, FlowEvent.TRACED, FlowEvent.TRACED, FlowEvent.TRACED);
        FlowEvent reply = events.get(1);
        assertThat(reply.isReply()).isTrue();
        assertThat(reply.reason()).isEqualTo(DropReason.PASS_REPLY.code());
        assertThat(reply.dir()).isEqualTo(OUT);
        assertThat(reply.srcIdentity()).isEqualTo(ID_B);
        assertThat(reply.dstIdentity()).isEqualTo(ID_A);
        assertThat(reply.tcpFlags()).isEqualTo(SYN | ACK);
        assertThat(events.get(2).reason()).isEqualTo(DropReason.PASS_ESTABLISHED.code());
        assertThat(events.get(3).reason()).isEqualTo(DropReason.PASS_NOT_IP.code());
        assertThat(events.get(3).family()).isZero();
        assertThat(dp.packets(DropReason.EVENTS_SENT)).isEqualTo(4);

        dp.cfg.put(0, EpCfg.DEFAULTS);
        dp.to(B, ipv4(A4, B4, tcpFlags(1, 80, ACK)).eth());
        assertThat(dp.drainEvents()).isEmpty();
    }

    @Test
    void fullRingBufferCountsLostEvents() {
        EpInfo b = enforced(B, IN);
        int n = 100; // 100 events of 80 bytes (+8 header) do not fit in 4 KiB
        for (int i = 0; i < n; i++) {
            assertThat(dp.to(b, ipv4(A4, B4, udp(i, 53)).eth())).isEqualTo(TC_ACT_SHOT);
        }
        long sent = dp.packets(DropReason.EVENTS_SENT);
        long lost = dp.packets(DropReason.EVENTS_LOST);
        assertThat(lost).isPositive();
        assertThat(sent + lost).isEqualTo(n);
        assertThat(dp.drainEvents()).hasSize((int) sent);
        assertThat(dp.packets(DropReason.DROP_POLICY)).isEqualTo(n);
    }
}
