package dev.weir.datapath.prefilter;

import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.datapath.prefilter.Slots.Side.NONE;
import static dev.weir.datapath.prefilter.Slots.Side.SRC;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import dev.weir.datapath.DropReason;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dry run through BPF_PROG_TEST_RUN: a dry-run deny slot, or the whole prefilter in dry run, passes what
 * it would drop and counts it in pf_dry under the reason (not in pf_stats), counts the rule's hits, and
 * samples an event marked as a dry run.
 */
class PrefilterDryRunTest {

    Prefilter pf;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    /** The packet passes; only the would-drop counter of the reason moved (by one), no pf_stats counter. */
    void wouldDrop(byte[] pkt, DropReason reason) {
        long before = pf.wouldDrop(reason);
        long[] stats = pf.packetsByCode();
        assertThat(pf.run(pkt)).as("dry run of %s passes", reason).isEqualTo(XDP_PASS);
        assertThat(pf.wouldDrop(reason)).as("would-drop count of %s", reason).isEqualTo(before + 1);
        long[] after = pf.packetsByCode();
        for (int code = 0; code < DropReason.FIRST_COUNTER; code++) {
            assertThat(after[code]).as("pf_stats[%d]", code).isEqualTo(stats[code]);
        }
    }

    @Test
    void dryRunDenyRulePassesCountsTheRuleAndEmitsAMarkedEvent() {
        // deny TCP/22 in dry run (rule 5), deny source 10.66.0.0/16 for real (rule 6)
        pf.cfg(0, new Slots().dryDeny(0, NONE, true, 5).deny(1, SRC, false, 6).sampleEvery(1).build());
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 22), 1L);
        pf.src4.get(0).put(PrefilterRulesTest.v4("10.66.0.0/16"), PfPrefixValue.of(2));
        pf.src6.get(0).put(PrefilterRulesTest.v6("2001:db8:66::/48"), PfPrefixValue.of(2));

        wouldDrop(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22)).eth(), DropReason.DROP_DENY_RULE);
        wouldDrop(ipv6("2001:db8::1", "2001:db8::2", tcp(1, 22)).eth(), DropReason.DROP_DENY_RULE);
        assertThat(pf.hits(5)).isEqualTo(2);
        List<PfEvent> events = pf.drainEvents();
        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.dryRun()).isTrue();
            assertThat(e.reason()).isEqualTo(DropReason.DROP_DENY_RULE.code());
            assertThat(e.rule()).isEqualTo(5);
        });

        // an enforced deny wins over a dry-run one
        assertThat(pf.run(ipv4("10.66.0.1", "10.0.0.2", tcp(1, 22)).eth())).isEqualTo(XDP_DROP);
        assertThat(pf.packets(DropReason.DROP_DENY_RULE)).isEqualTo(1);
        assertThat(pf.hits(6)).isEqualTo(1);
        assertThat(pf.hits(5)).isEqualTo(2);
        assertThat(pf.drainEvents()).singleElement().satisfies(e -> assertThat(e.dryRun()).isFalse());
        // what neither matches passes as before
        assertThat(pf.run(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth())).isEqualTo(XDP_PASS);
        assertThat(pf.packets(DropReason.PASS)).isEqualTo(1);
    }

    @Test
    void realDropsAfterTheRulesStillDrop() {
        // allowlist mode, allow UDP (rule 2), dry-run deny of TCP (rule 1): TCP is not allowed, for real
        pf.cfg(0, new Slots().dryDeny(0, NONE, true, 1).allow(1, NONE, true, 2).allowlist().build());
        pf.proto.get(0).put(TCP, 1L);
        pf.proto.get(0).put(UDP, 2L);
        assertThat(pf.run(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22)).eth())).isEqualTo(XDP_DROP);
        assertThat(pf.packets(DropReason.DROP_NOT_ALLOWED)).isEqualTo(1);
        assertThat(pf.run(ipv4("10.0.0.1", "10.0.0.2", udp(1, 53)).eth())).isEqualTo(XDP_PASS);
        assertThat(pf.packets(DropReason.PASS_ALLOWED)).isEqualTo(1);

        // a dry-run deny of UDP beside the allow: deny beats allow, so it would drop, and passes
        pf.cfg(0, new Slots().dryDeny(0, NONE, true, 1).allow(1, NONE, true, 2).allowlist().build());
        pf.proto.get(0).put(UDP, 3L);
        wouldDrop(ipv6("2001:db8::1", "2001:db8::2", udp(1, 53)).eth(), DropReason.DROP_DENY_RULE);
        assertThat(pf.hits(1)).isEqualTo(1);
    }

    @Test
    void wholePrefilterInDryRunDropsNothing() {
        pf.cfg(0, new Slots().deny(0, NONE, true, 1).dryRun().sampleEvery(1).build());
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_TCP, 22), 1L);
        wouldDrop(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 22)).eth(), DropReason.DROP_DENY_RULE);
        wouldDrop(ipv4("10.0.0.1", "10.0.0.2", tcpFlags(1, 80, SYN | FIN)).eth(), DropReason.DROP_TCP_SYN_FIN);
        wouldDrop(ipv6("2001:db8::1", "2001:db8::2", tcpFlags(1, 80, FIN | PSH | URG)).eth(), DropReason.DROP_TCP_NO_ACK);
        wouldDrop(ipv6("2001:db8::1", "2001:db8::2", udp(0, 53)).eth(), DropReason.DROP_PORT_ZERO);
        wouldDrop(Arrays.copyOf(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth(), 30), DropReason.DROP_IP4_TRUNC);
        assertThat(pf.hits(1)).isEqualTo(1);
        assertThat(pf.drainEvents()).hasSize(5).allSatisfy(e -> assertThat(e.dryRun()).isTrue());
        // passes are counted as always
        assertThat(pf.run(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 80)).eth())).isEqualTo(XDP_PASS);
        assertThat(pf.packets(DropReason.PASS)).isEqualTo(1);

        // the rate limit too: one packet per second, burst 1
        pf.cfg(0, new Slots().dryRun().rate(1, 1).build());
        byte[] web = ipv4("10.9.9.9", "10.0.0.2", tcp(1, 80)).eth();
        assertThat(pf.run(web)).isEqualTo(XDP_PASS);
        wouldDrop(web, DropReason.DROP_RATE_LIMIT);
    }

    @Test
    void fragmentsFollowTheirFirstFragmentsDryRun() {
        pf.cfg(0, new Slots().dryDeny(0, NONE, true, 3).build());
        pf.port.get(0).put(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_UDP, 53), 1L);
        wouldDrop(ipv4("10.0.0.1", "10.0.0.2", udp(1, 53, 32)).fragment(61, 0, true).eth(), DropReason.DROP_DENY_RULE);
        assertThat(pf.frag.lookup(PfFragKey.of(ip("10.0.0.1"), ip("10.0.0.2"), 61, UDP)))
                .contains(new PfFragVal(DropReason.DROP_DENY_RULE.code(), 3, PfFragVal.DRY_RUN));
        wouldDrop(ipv4("10.0.0.1", "10.0.0.2", raw(UDP, 16)).fragment(61, 5, false).eth(), DropReason.DROP_DENY_RULE);
        wouldDrop(ipv6("2001:db8::1", "2001:db8::2", udp(1, 53, 32)).fragment(62, 0, true).eth(), DropReason.DROP_DENY_RULE);
        wouldDrop(ipv6("2001:db8::1", "2001:db8::2", raw(UDP, 16)).fragment(62, 5, false).eth(), DropReason.DROP_DENY_RULE);
        assertThat(pf.hits(3)).isEqualTo(4);
    }
}
