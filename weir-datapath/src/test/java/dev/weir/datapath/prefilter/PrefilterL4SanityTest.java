package dev.weir.datapath.prefilter;

import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.datapath.prefilter.Slots.Side.NONE;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import dev.weir.datapath.DropReason;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Impossible TCP flag combinations and port 0 through BPF_PROG_TEST_RUN (bpf/lib/l4_sanity.h): each drops
 * with its own reason and counter, over IPv4 and IPv6, in first fragments too, before any rule; every
 * combination a real stack sends passes.
 */
class PrefilterL4SanityTest {

    private static final List<String> V4 = List.of("10.0.0.1", "10.0.0.2");
    private static final List<String> V6 = List.of("2001:db8::1", "2001:db8::2");

    Prefilter pf;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
        pf.cfg(0, new Slots().build());
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    /** The packet gets the verdict, counted under the reason and nowhere else. */
    void expect(byte[] pkt, int verdict, DropReason reason) {
        Map<DropReason, Long> before = pf.nonZeroStats();
        assertThat(pf.run(pkt)).as("verdict for %s", reason).isEqualTo(verdict);
        Map<DropReason, Long> after = pf.nonZeroStats();
        before.merge(reason, 1L, Long::sum);
        assertThat(after).as("counters after a packet of %s", reason).isEqualTo(before);
    }

    static byte[] tcp(List<String> ips, int flags) {
        return frame(ips, tcpFlags(40000, 80, flags));
    }

    static byte[] frame(List<String> ips, L4 l4) {
        return ips.get(0).contains(":") ? ipv6(ips.get(0), ips.get(1), l4).eth() : ipv4(ips.get(0), ips.get(1), l4).eth();
    }

    @Test
    void impossibleFlagsDropWithTheirOwnReason() {
        for (List<String> ips : List.of(V4, V6)) {
            expect(tcp(ips, SYN | FIN), XDP_DROP, DropReason.DROP_TCP_SYN_FIN);
            expect(tcp(ips, SYN | FIN | ACK), XDP_DROP, DropReason.DROP_TCP_SYN_FIN);
            expect(tcp(ips, SYN | FIN | RST | PSH | ACK | URG), XDP_DROP, DropReason.DROP_TCP_SYN_FIN);
            expect(tcp(ips, SYN | RST), XDP_DROP, DropReason.DROP_TCP_SYN_RST);
            expect(tcp(ips, SYN | RST | ACK), XDP_DROP, DropReason.DROP_TCP_SYN_RST);
            expect(tcp(ips, 0), XDP_DROP, DropReason.DROP_TCP_NO_FLAGS);
            expect(tcp(ips, ECE | CWR), XDP_DROP, DropReason.DROP_TCP_NO_FLAGS);
            expect(tcp(ips, FIN | PSH | URG), XDP_DROP, DropReason.DROP_TCP_NO_ACK);   // Xmas scan
            expect(tcp(ips, FIN), XDP_DROP, DropReason.DROP_TCP_NO_ACK);               // FIN scan
            expect(tcp(ips, PSH), XDP_DROP, DropReason.DROP_TCP_NO_ACK);
            expect(tcp(ips, URG), XDP_DROP, DropReason.DROP_TCP_NO_ACK);
            expect(tcp(ips, FIN | RST), XDP_DROP, DropReason.DROP_TCP_NO_ACK);
        }
    }

    @Test
    void portZeroDrops() {
        for (List<String> ips : List.of(V4, V6)) {
            expect(frame(ips, tcpFlags(0, 80, SYN)), XDP_DROP, DropReason.DROP_PORT_ZERO);
            expect(frame(ips, tcpFlags(40000, 0, SYN)), XDP_DROP, DropReason.DROP_PORT_ZERO);
            expect(frame(ips, udp(0, 53)), XDP_DROP, DropReason.DROP_PORT_ZERO);
            expect(frame(ips, udp(5353, 0)), XDP_DROP, DropReason.DROP_PORT_ZERO);
            expect(frame(ips, udp(0, 0)), XDP_DROP, DropReason.DROP_PORT_ZERO);
            // the flags are judged first
            expect(frame(ips, tcpFlags(0, 0, SYN | FIN)), XDP_DROP, DropReason.DROP_TCP_SYN_FIN);
            // SCTP is not checked
            expect(frame(ips, sctp(0, 0)), XDP_PASS, DropReason.PASS);
        }
    }

    @Test
    void whatRealStacksSendPasses() {
        int[] ok = {SYN, SYN | ACK, ACK, FIN | ACK, RST, RST | ACK, PSH | ACK, FIN | PSH | ACK, URG | ACK,
                URG | PSH | ACK, SYN | ECE | CWR, SYN | ACK | ECE, ACK | ECE, ACK | CWR};
        for (List<String> ips : List.of(V4, V6)) {
            for (int flags : ok) {
                expect(tcp(ips, flags), XDP_PASS, DropReason.PASS);
            }
            expect(frame(ips, tcpFlags(1, 65535, SYN)), XDP_PASS, DropReason.PASS);
            expect(frame(ips, udp(1, 53)), XDP_PASS, DropReason.PASS);
            expect(frame(ips, ips == V4 ? icmp4() : icmp6()), XDP_PASS, DropReason.PASS);
        }
    }

    @Test
    void behindVlanTagsAndIpv6ExtensionHeaders() {
        expect(vlan(ipv4("10.0.0.1", "10.0.0.2", tcpFlags(1, 80, SYN | FIN)).build(), 10), XDP_DROP,
                DropReason.DROP_TCP_SYN_FIN);
        expect(qinq(ipv6("2001:db8::1", "2001:db8::2", tcpFlags(1, 80, 0)).build(), 1, 2), XDP_DROP,
                DropReason.DROP_TCP_NO_FLAGS);
        expect(ipv6("2001:db8::1", "2001:db8::2", udp(0, 53)).ext(HOPOPTS, 8).ext(DSTOPTS, 16).eth(), XDP_DROP,
                DropReason.DROP_PORT_ZERO);
        expect(ipv4("10.0.0.1", "10.0.0.2", tcpFlags(1, 80, FIN | PSH | URG)).options(new byte[] {1, 1, 1, 1}).eth(),
                XDP_DROP, DropReason.DROP_TCP_NO_ACK);
    }

    @Test
    void beforeAnyRuleAndInAllowlistMode() {
        // an allow rule for all of TCP and UDP (rule 1, 2) does not let an impossible header through
        pf.cfg(0, new Slots().allowlist().allow(0, NONE, true, 1).build());
        pf.proto.get(0).put(TCP, 1L);
        pf.proto.get(0).put(UDP, 1L);
        expect(tcp(V4, SYN), XDP_PASS, DropReason.PASS_ALLOWED);
        expect(tcp(V4, SYN | RST), XDP_DROP, DropReason.DROP_TCP_SYN_RST);
        expect(frame(V6, udp(53, 0)), XDP_DROP, DropReason.DROP_PORT_ZERO);
        assertThat(pf.hits(1)).as("no rule decided the drops").isEqualTo(1);
    }

    @Test
    void firstFragmentsDecideForTheirFollowers() {
        byte[] first4 = ipv4("10.0.0.1", "10.0.0.2", tcpFlags(1, 80, SYN | FIN, 16)).fragment(91, 0, true).eth();
        byte[] later4 = ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 16)).fragment(91, 5, false).eth();
        expect(first4, XDP_DROP, DropReason.DROP_TCP_SYN_FIN);
        assertThat(pf.frag.lookup(PfFragKey.of(ip("10.0.0.1"), ip("10.0.0.2"), 91, TCP))).isPresent()
                .get().extracting(PfFragVal::reason).isEqualTo(DropReason.DROP_TCP_SYN_FIN.code());
        expect(later4, XDP_DROP, DropReason.DROP_TCP_SYN_FIN);

        byte[] first6 = ipv6("2001:db8::1", "2001:db8::2", udp(0, 53, 32)).fragment(92, 0, true).eth();
        byte[] later6 = ipv6("2001:db8::1", "2001:db8::2", raw(UDP, 16)).fragment(92, 5, false).eth();
        expect(first6, XDP_DROP, DropReason.DROP_PORT_ZERO);
        expect(later6, XDP_DROP, DropReason.DROP_PORT_ZERO);

        // a later fragment has no L4 header: one whose first was not seen is judged as before, by rules only
        expect(ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 16)).fragment(93, 5, false).eth(), XDP_PASS, DropReason.PASS);
        expect(ipv6("2001:db8::1", "2001:db8::2", raw(TCP, 16)).fragment(93, 5, false).eth(), XDP_PASS, DropReason.PASS);
        // a passing first fragment lets its followers pass
        expect(ipv4("10.0.0.1", "10.0.0.2", tcpFlags(1, 80, PSH | ACK, 16)).fragment(94, 0, true).eth(), XDP_PASS,
                DropReason.PASS);
        expect(ipv4("10.0.0.1", "10.0.0.2", raw(TCP, 16)).fragment(94, 5, false).eth(), XDP_PASS,
                DropReason.PASS_FRAGMENT);
    }

    @Test
    void sampledAsEventsLikeEveryDrop() {
        pf.cfg(0, new Slots().sampleEvery(1).build());
        pf.run(tcp(V6, FIN | PSH | URG));
        List<PfEvent> events = pf.drainEvents();
        assertThat(events).hasSize(1);
        assertThat(events.getFirst().reason()).isEqualTo(DropReason.DROP_TCP_NO_ACK.code());
        assertThat(events.getFirst().dport()).isEqualTo(80);
    }
}
