package dev.weir.datapath.prefilter;

import static dev.weir.datapath.prefilter.Prefilter.XDP_DROP;
import static dev.weir.datapath.prefilter.Prefilter.XDP_PASS;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.weir.datapath.DropReason;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.TestRun;
import dev.weir.testkit.Requirements;

/**
 * The SYN proxy through BPF_PROG_TEST_RUN (bpf/lib/synproxy.h): a SYN to a listed port comes back as a SYN-ACK
 * (XDP_TX) whose sequence number is a SYN cookie, with valid checksums; the ACK that carries the cookie passes
 * and its connection's later packets with it; an ACK without one drops; SYNs to other ports, and one SYN per
 * port now and then (for the listener), pass; every SYN is counted per CPU.
 */
class PrefilterSynProxyTest {

    static final int XDP_TX = 3;
    static final int PORT = 80;

    Prefilter pf;
    BpfMap<Integer, Long> ports;
    BpfPerCpuMap<Integer, PfCounter> tcp;

    @BeforeEach
    void load() {
        Requirements.root();
        pf = new Prefilter();
        pf.cfg(0, new Slots().build());
        ports = pf.obj.map(PrefilterMaps.SYN_PORTS, Codec.u32(), Codec.u64());
        tcp = pf.obj.perCpuMap(PrefilterMaps.TCP, Codec.u32(), PfCounter.CODEC);
        // listed, and the listener kicked a moment ago (bpf_ktime_get_ns and System.nanoTime: CLOCK_MONOTONIC)
        ports.put(PORT, System.nanoTime() | 1);
    }

    @AfterEach
    void close() {
        if (pf != null) {
            pf.close();
        }
    }

    long tcp(int counter) {
        return tcp.lookupSum(counter, PfCounter::plus).packets();
    }

    /** A TCP segment from client to server with these flags, sequence and acknowledgement numbers. */
    static byte[] segment(List<String> ips, int sport, int dport, int flags, long seq, long ack) {
        L4 l4 = tcpFlags(sport, dport, flags);
        ByteBuffer.wrap(l4.bytes()).putInt(4, (int) seq).putInt(8, (int) ack);
        return ips.get(0).contains(":") ? ipv6(ips.get(0), ips.get(1), l4).eth() : ipv4(ips.get(0), ips.get(1), l4).eth();
    }

    @Test
    void aSynIsAnsweredWithACookieAndTheCookieAckPasses() {
        for (List<String> ips : List.of(List.of("10.0.0.1", "10.0.0.2"), List.of("2001:db8::1", "2001:db8::2"))) {
            boolean v6 = ips.get(0).contains(":");
            int l4 = v6 ? 54 : 34;
            byte[] syn = segment(ips, 40000, PORT, SYN, 1000, 0);
            TestRun.Result r = pf.prog.testRun(TestRun.of(syn));
            assertThat(r.retval()).as("SYN to a proxied port").isEqualTo(XDP_TX);
            byte[] out = r.dataOut();
            assertThat(out.length).isGreaterThanOrEqualTo(l4 + 24);
            ByteBuffer b = ByteBuffer.wrap(out);
            assertThat(Arrays.copyOfRange(out, 0, 6)).isEqualTo(Arrays.copyOfRange(syn, 6, 12));   // MACs swapped
            int addr = v6 ? 16 : 4;
            int srcOff = v6 ? 22 : 26;
            assertThat(Arrays.copyOfRange(out, srcOff, srcOff + addr))
                    .isEqualTo(Arrays.copyOfRange(syn, srcOff + addr, srcOff + 2 * addr));       // addresses swapped
            assertThat(b.getShort(l4) & 0xffff).isEqualTo(PORT);
            assertThat(b.getShort(l4 + 2) & 0xffff).isEqualTo(40000);
            assertThat(out[l4 + 13]).isEqualTo((byte) (SYN | ACK));
            assertThat(b.getInt(l4 + 8)).as("ack = the SYN's seq + 1").isEqualTo(1001);
            assertThat((out[l4 + 12] & 0xff) >> 4).as("doff: header and MSS option").isEqualTo(6);
            assertThat(out[l4 + 20]).as("MSS option kind").isEqualTo((byte) 2);
            if (!v6) {
                assertThat(b.getShort(16) & 0xffff).as("IPv4 total length").isEqualTo(44);
                assertThat(fold(sum(out, 14, 20))).as("IPv4 header checksum").isZero();
            } else {
                assertThat(b.getShort(18) & 0xffff).as("IPv6 payload length").isEqualTo(24);
            }
            assertThat(fold(sum(out, l4, 24) + pseudo(out, srcOff, addr, 24))).as("TCP checksum").isZero();
            long cookie = b.getInt(l4 + 4) & 0xffffffffL;

            byte[] bad = segment(ips, 40001, PORT, ACK, 1001, cookie + 1);
            assertThat(pf.run(bad)).as("an ACK whose cookie is not its connection's").isEqualTo(XDP_DROP);
            byte[] ack = segment(ips, 40000, PORT, ACK, 1001, cookie + 1);
            assertThat(pf.run(ack)).as("the cookie ACK").isEqualTo(XDP_PASS);
            assertThat(pf.run(segment(ips, 40000, PORT, PSH | ACK, 1001, cookie + 1)))
                    .as("the connection's next packet").isEqualTo(XDP_PASS);
        }
        assertThat(pf.packets(DropReason.DROP_SYNPROXY_SYN)).isEqualTo(2);
        assertThat(pf.packets(DropReason.DROP_SYNPROXY_ACK)).isEqualTo(2);
        assertThat(tcp(PrefilterMaps.TCP_SYN)).isEqualTo(2);
        assertThat(tcp(PrefilterMaps.TCP_COOKIE_SENT)).isEqualTo(2);
        assertThat(tcp(PrefilterMaps.TCP_COOKIE_OK)).isEqualTo(2);
    }

    @Test
    void otherPortsAndTheListenersKickPass() {
        List<String> ips = List.of("10.0.0.1", "10.0.0.2");
        assertThat(pf.run(segment(ips, 40000, 81, SYN, 1, 0))).as("a port not listed").isEqualTo(XDP_PASS);
        assertThat(pf.run(segment(ips, 40000, 81, ACK, 2, 7))).isEqualTo(XDP_PASS);
        ports.put(PORT, 1L);   // listed, never kicked
        assertThat(pf.run(segment(ips, 40000, PORT, SYN, 1, 0))).as("the kick: this SYN goes up").isEqualTo(XDP_PASS);
        assertThat(ports.lookup(PORT).orElseThrow()).as("the kick's time").isGreaterThan(1L);
        assertThat(pf.run(segment(ips, 40001, PORT, SYN, 1, 0))).as("the next is answered").isEqualTo(XDP_TX);
        assertThat(tcp(PrefilterMaps.TCP_SYN)).isEqualTo(3);
        assertThat(tcp(PrefilterMaps.TCP_COOKIE_SENT)).isEqualTo(1);
        assertThat(pf.packets(DropReason.PASS)).isEqualTo(3);
    }

    /** Ones'-complement sum of 16-bit words. */
    static long sum(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        }
        return s;
    }

    /** The TCP pseudo-header's sum: addresses at srcOff (addr bytes each), protocol, TCP length. */
    static long pseudo(byte[] b, int srcOff, int addr, int tcpLen) {
        return sum(b, srcOff, 2 * addr) + TCP + tcpLen;
    }

    static int fold(long s) {
        while (s >> 16 != 0) {
            s = (s & 0xffff) + (s >> 16);
        }
        return (int) (~s & 0xffff);
    }
}
