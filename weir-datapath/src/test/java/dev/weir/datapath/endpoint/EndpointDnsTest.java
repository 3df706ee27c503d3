package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_OK;
import static dev.weir.datapath.endpoint.EndpointDatapath.TC_ACT_SHOT;
import static dev.weir.testkit.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.weir.datapath.BtfLayouts;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.MapType;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.RingBufferReader;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DNS visibility at the endpoint hooks ({@code bpf/lib/dns.h}) through BPF_PROG_TEST_RUN: with
 * {@code dns_cfg} on (a new map's zero), a UDP or TCP packet from or to port 53 puts its DNS message, the tuple, both identities
 * and the packet's verdict into {@code dns_events}; switched off, other ports, and segments without
 * payload put nothing there.
 */
class EndpointDnsTest extends EndpointTestBase {

    BpfMap<Integer, DnsCfg> cfg;
    BpfPerCpuMap<Integer, Long> stats;
    RingBufferReader reader;
    final List<DnsEvent> received = new ArrayList<>();

    @BeforeEach
    void openDns() {
        cfg = dp.obj.map(EndpointMaps.DNS_CFG, Codec.u32(), DnsCfg.CODEC);
        stats = dp.obj.perCpuMap(EndpointMaps.DNS_STATS, Codec.u32(), Codec.u64());
        reader = RingBufferReader.open(dp.obj.map(EndpointMaps.DNS_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                seg -> received.add(DnsEvent.decode(seg)));
    }

    @AfterEach
    void closeDns() {
        if (reader != null) {
            reader.close();
        }
    }

    List<DnsEvent> drain() {
        reader.drain();
        List<DnsEvent> out = List.copyOf(received);
        received.clear();
        return out;
    }

    /** A query for {@code name} (type A), id 0x1234, as a resolver sends it. */
    static byte[] query(String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes());
        }
        b.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return b.toByteArray();
    }

    static L4 udpWith(int sport, int dport, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + payload.length)).putShort((short) 0);
        b.put(payload);
        return new L4(UDP, b.array());
    }

    static L4 tcpWith(int sport, int dport, byte[] message) {
        ByteBuffer b = ByteBuffer.allocate(20 + 2 + message.length);
        b.putShort((short) sport).putShort((short) dport).putInt(1).putInt(1);
        b.put((byte) 0x50).put((byte) (PSH | ACK)).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        b.putShort((short) message.length).put(message);
        return new L4(TCP, b.array());
    }

    long stat(int key) {
        Long n = stats.lookupSum(key, Long::sum);
        return n == null ? 0 : n;
    }

    @Test
    void switchedOffAPort53PacketSendsNoRecord() {
        assertThat(cfg.lookup(0)).contains(DnsCfg.ON);
        cfg.put(0, DnsCfg.OFF);
        assertThat(dp.from(A, ipv4(A4, B4, udpWith(40000, 53, query("www.example.org"))).eth())).isEqualTo(TC_ACT_OK);
        assertThat(drain()).isEmpty();
        assertThat(stat(DnsEvent.STAT_SENT)).isZero();
    }

    @Test
    void aQueryFromThePodIsCopiedWithItsTupleAndVerdict() {
        cfg.put(0, DnsCfg.ON);
        byte[] q = query("www.example.org");
        assertThat(dp.from(A, ipv4(A4, B4, udpWith(40000, 53, q)).eth())).isEqualTo(TC_ACT_OK);
        List<DnsEvent> events = drain();
        assertThat(events).hasSize(1);
        DnsEvent e = events.get(0);
        assertThat(e.epId()).isEqualTo(EP_A);
        assertThat(e.dir()).isEqualTo(OUT);
        assertThat(e.srcIdentity()).isEqualTo(ID_A);
        assertThat(e.dstIdentity()).isEqualTo(ID_B);
        assertThat(e.verdict()).isEqualTo(FlowEvent.FORWARDED);
        assertThat(e.family()).isEqualTo(4);
        assertThat(e.proto()).isEqualTo(UDP);
        assertThat(e.sport()).isEqualTo(40000);
        assertThat(e.dport()).isEqualTo(53);
        assertThat(dev.weir.datapath.Mem.text(e.saddr())).isEqualTo(A4);
        assertThat(dev.weir.datapath.Mem.text(e.daddr())).isEqualTo(B4);
        assertThat(e.msgLen()).isEqualTo(q.length);
        assertThat(e.data()).isEqualTo(q);
        assertThat(stat(DnsEvent.STAT_SENT)).isEqualTo(1);
    }

    @Test
    void aDeniedQueryIsCopiedAsDroppedWithItsReason() {
        cfg.put(0, DnsCfg.ON);
        byte[] q = query("denied.example.org");
        assertThat(dp.to(enforced(B, IN), ipv6(A6, B6, udpWith(40001, 53, q)).eth())).isEqualTo(TC_ACT_SHOT);
        List<DnsEvent> events = drain();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).verdict()).isEqualTo(FlowEvent.DROPPED);
        assertThat(events.get(0).reason()).isEqualTo(DropReason.DROP_POLICY.code());
        assertThat(events.get(0).dir()).isEqualTo(IN);
        assertThat(events.get(0).family()).isEqualTo(6);
        assertThat(events.get(0).srcIdentity()).isEqualTo(ID_A);
        assertThat(events.get(0).data()).isEqualTo(q);
    }

    @Test
    void aResponseToThePodAndATcpMessageAreCopiedHandshakesAndOtherPortsAreNot() {
        cfg.put(0, DnsCfg.ON);
        byte[] q = query("tcp.example.org");
        dp.to(A, ipv4(B4, A4, udpWith(53, 40000, q)).eth());
        dp.from(A, ipv4(A4, B4, tcpFlags(40002, 53, SYN)).eth());
        dp.from(A, ipv4(A4, B4, tcpWith(40002, 53, q)).eth());
        dp.from(A, ipv4(A4, B4, udpWith(40003, 5353, q)).eth());
        List<DnsEvent> events = drain();
        assertThat(events).extracting(DnsEvent::proto).containsExactly(UDP, TCP);
        assertThat(events.get(0).dir()).isEqualTo(IN);
        assertThat(events.get(0).sport()).isEqualTo(53);
        DnsEvent tcp = events.get(1);
        assertThat(tcp.msgLen()).isEqualTo(2 + q.length);
        assertThat(Arrays.copyOfRange(tcp.data(), 2, tcp.data().length)).isEqualTo(q);
        assertThat(tcp.data()[1]).isEqualTo((byte) q.length);
    }

    @Test
    void aLongMessageIsCutAtTheSnapLength() {
        cfg.put(0, DnsCfg.ON);
        byte[] big = new byte[700];
        Arrays.fill(big, (byte) 7);
        dp.to(A, ipv4(B4, A4, udpWith(53, 40000, big)).eth());
        List<DnsEvent> events = drain();
        assertThat(events).hasSize(1);
        assertThat(events.get(0).msgLen()).isEqualTo(700);
        assertThat(events.get(0).data()).hasSize(DnsEvent.SNAP_MAX).containsOnly(7);

        cfg.put(0, DnsCfg.OFF);
        dp.to(A, ipv4(B4, A4, udpWith(53, 40000, big)).eth());
        assertThat(drain()).isEmpty();
    }

    @Test
    void recordsMatchTheObjectsBtf() {
        ObjectSpec spec = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        BtfLayouts.assertMatches(spec.btf(), DnsEvent.LAYOUT);
        BtfLayouts.assertMatches(spec.btf(), DnsCfg.LAYOUT);
        MapSpec events = spec.map(EndpointMaps.DNS_EVENTS);
        assertThat(events.type()).isEqualTo(MapType.RINGBUF);
        assertThat(events.maxEntries()).isEqualTo(DnsEvent.EVENTS_BYTES);
        assertThat(spec.map(EndpointMaps.DNS_CFG).valueSize()).isEqualTo(DnsCfg.LAYOUT.byteSize());
        assertThat(spec.map(EndpointMaps.DNS_STATS).maxEntries()).isEqualTo(2);
    }
}
