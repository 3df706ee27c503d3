package dev.weir.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.flow.FlowDecorator;
import dev.weir.agent.flow.FlowFilter;
import dev.weir.datapath.capture.CapCfg;
import dev.weir.datapath.capture.CapEvent;
import dev.weir.datapath.capture.CaptureMaps;

/** Where a captured frame's headers end (what a capture keeps without --payload), and a request's kernel settings. */
class PacketHeadersTest {

    static final byte[] ETH = HexFormat.of().parseHex("020000000002020000000001");

    static byte[] frame(int type, byte[] l3) {
        return ByteBuffer.allocate(14 + l3.length).put(ETH).putShort((short) type).put(l3).array();
    }

    static byte[] ipv4(int proto, byte[] l4, int optionWords) {
        int ihl = 5 + optionWords;
        ByteBuffer b = ByteBuffer.allocate(ihl * 4 + l4.length);
        b.put((byte) (0x40 | ihl)).put((byte) 0).putShort((short) (ihl * 4 + l4.length)).putInt(0).put((byte) 64)
                .put((byte) proto).putShort((short) 0).put(new byte[] {10, (byte) 244, 2, 20}).put(new byte[] {10, (byte) 244, 1, 10});
        b.put(new byte[optionWords * 4]).put(l4);
        return b.array();
    }

    static byte[] tcp(int dataOffsetWords, int flags, int payload) {
        ByteBuffer b = ByteBuffer.allocate(dataOffsetWords * 4 + payload);
        b.putShort((short) 40000).putShort((short) 80).putInt(1).putInt(0).put((byte) (dataOffsetWords << 4))
                .put((byte) flags).putShort((short) 1000).putInt(0);
        return b.array();
    }

    @Test
    void tcpOverIpv4WithOptionsEndsAfterTheTcpOptions() {
        byte[] f = frame(0x0800, ipv4(6, tcp(8, 0x12, 100), 1));
        PacketHeaders h = PacketHeaders.parse(f);
        assertThat(h.family()).isEqualTo(4);
        assertThat(h.protocol()).isEqualTo(6);
        assertThat(h.sourceIp()).isEqualTo("10.244.2.20");
        assertThat(h.destinationIp()).isEqualTo("10.244.1.10");
        assertThat(h.sourcePort()).isEqualTo(40000);
        assertThat(h.destinationPort()).isEqualTo(80);
        assertThat(h.tcpFlags()).isEqualTo(0x12);
        assertThat(h.headerLength()).isEqualTo(14 + 24 + 32);
        assertThat(PacketHeaders.headersOnly(f)).hasSize(70);
    }

    @Test
    void udpOverIpv6AfterAnExtensionHeaderAndVlan() {
        ByteBuffer ip6 = ByteBuffer.allocate(40 + 8 + 8 + 5);
        ip6.putInt(0x60000000).putShort((short) 21).put((byte) 0).put((byte) 64);
        ip6.put(HexFormat.of().parseHex("fd000010024400020000000000000014"));
        ip6.put(HexFormat.of().parseHex("fd000010024400010000000000000010"));
        ip6.put((byte) 17).put((byte) 0).put(new byte[6]); // hop-by-hop, 8 bytes, then UDP
        ip6.putShort((short) 5353).putShort((short) 81).putShort((short) 13).putShort((short) 0).put("hello".getBytes());
        byte[] vlan = ByteBuffer.allocate(4 + 40 + 21).putShort((short) 100).putShort((short) 0x86dd).put(ip6.array()).array();
        PacketHeaders h = PacketHeaders.parse(frame(0x8100, vlan));
        assertThat(h.family()).isEqualTo(6);
        assertThat(h.protocol()).isEqualTo(17);
        assertThat(h.sourceIp()).isEqualTo("fd00:10:244:2::14");
        assertThat(h.destinationPort()).isEqualTo(81);
        assertThat(h.headerLength()).isEqualTo(14 + 4 + 40 + 8 + 8);
    }

    @Test
    void shortOrNonIpFramesKeepWhatWasRead() {
        assertThat(PacketHeaders.parse(new byte[10]).headerLength()).isEqualTo(10);
        byte[] arp = frame(0x0806, new byte[28]);
        assertThat(PacketHeaders.parse(arp).family()).isZero();
        assertThat(PacketHeaders.parse(arp).headerLength()).isEqualTo(14);
        byte[] cut = Arrays.copyOf(frame(0x0800, ipv4(6, tcp(5, 0x02, 0), 0)), 14 + 20 + 10);
        PacketHeaders h = PacketHeaders.parse(cut);
        assertThat(h.protocol()).isEqualTo(6);
        assertThat(h.sourcePort()).isZero();
        assertThat(h.headerLength()).isEqualTo(cut.length);
        byte[] icmp = frame(0x0800, ipv4(1, new byte[8 + 56], 0));
        assertThat(PacketHeaders.parse(icmp).headerLength()).isEqualTo(14 + 20 + 8);
    }

    @Test
    void aRequestSetsTheKernelsVerdictsHooksAndSnaplen() {
        ObjectNode p = ApiProtocol.mapper().createObjectNode();
        assertThat(CaptureApi.cfg(p)).isEqualTo(new CapCfg(0b110, 0, 128));
        p.putArray("verdict").add("dropped");
        p.putArray("hook").add("prefilter").add("to-ep");
        p.put("payload", true);
        assertThat(CaptureApi.cfg(p)).isEqualTo(new CapCfg(0b100, 0b1010, CaptureMaps.SNAP_MAX));
        p.put("snaplen", 0);
        assertThatThrownBy(() -> CaptureApi.cfg(p)).isInstanceOf(ApiException.class).hasMessageContaining("snaplen 0");
        p.remove("snaplen");
        p.putArray("verdict").add("TRACED");
        assertThatThrownBy(() -> CaptureApi.cfg(p)).hasMessageContaining("verdict 'TRACED' is not captured");
    }

    @Test
    void aPacketTheFiltersRejectIsNotSentAndOneTheyKeepLosesItsPayload() {
        CaptureApi api = new CaptureApi(java.util.List.of(), new FlowDecorator("node1"), i -> "lxc" + i);
        byte[] f = frame(0x0800, ipv4(6, tcp(5, 0x02, 20), 0));
        CapEvent e = new CapEvent(5, 7, f.length, 0, 0, 0, 142, CaptureMaps.Hook.TO_EP, 2, 0, f);
        FlowFilter forwarded = new FlowFilter(java.util.List.of("FORWARDED"), null, null, null, null, null, null, null, null, null);
        assertThat(api.packet(e, 0, forwarded, false)).isNull();
        ObjectNode kept = api.packet(e, 0, FlowFilter.ALL, false);
        assertThat(kept.path("hook").asText()).isEqualTo("tc/weir_to_ep");
        assertThat(kept.path("verdict").asText()).isEqualTo("DROPPED");
        assertThat(kept.path("reason_name").asText()).isEqualTo("DROP_POLICY");
        assertThat(kept.path("length").asInt()).isEqualTo(f.length);
        assertThat(java.util.Base64.getDecoder().decode(kept.path("data").asText())).hasSize(14 + 20 + 20);
        assertThat(java.util.Base64.getDecoder().decode(api.packet(e, 0, FlowFilter.ALL, true).path("data").asText())).hasSize(f.length);
        assertThat(kept.path("flow").path("l4").path("TCP").path("destination_port").asInt()).isEqualTo(80);
    }
}
