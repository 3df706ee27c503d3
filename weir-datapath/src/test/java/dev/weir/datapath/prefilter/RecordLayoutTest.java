package dev.weir.datapath.prefilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

/** Encoding and decoding of the contract's records, byte for byte, without a kernel. */
class RecordLayoutTest {

    static <T> byte[] encode(long size, T value, BiConsumer<T, MemorySegment> enc) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(size);
            seg.fill((byte) 0x5a);
            enc.accept(value, seg);
            return seg.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    static <T> T roundTrip(long size, T value, BiConsumer<T, MemorySegment> enc, Function<MemorySegment, T> dec) {
        byte[] raw = encode(size, value, enc);
        T back = dec.apply(MemorySegment.ofArray(raw));
        assertThat(back).isEqualTo(value);
        assertThat(encode(size, back, enc)).as("re-encoding").isEqualTo(raw);
        return back;
    }

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void sizesMatchTheCStructs() {
        assertThat(PfLpm4Key.LAYOUT.byteSize()).isEqualTo(8);
        assertThat(PfLpm6Key.LAYOUT.byteSize()).isEqualTo(20);
        assertThat(PfPrefixValue.LAYOUT.byteSize()).isEqualTo(32);
        assertThat(PfCfg.LAYOUT.byteSize()).isEqualTo(72 + 4 * 64 + 4 * 8 + 8);
        assertThat(PfNetKey.LAYOUT4.byteSize()).isEqualTo(8);
        assertThat(PfNetKey.LAYOUT6.byteSize()).isEqualTo(20);
        assertThat(PfAddr.LAYOUT.byteSize()).isEqualTo(16);
        assertThat(PfBucket.LAYOUT.byteSize()).isEqualTo(16);
        assertThat(PfFragKey.LAYOUT.byteSize()).isEqualTo(40);
        assertThat(PfFragVal.LAYOUT.byteSize()).isEqualTo(12);
        assertThat(PfCounter.LAYOUT.byteSize()).isEqualTo(16);
        assertThat(PfEvent.LAYOUT.byteSize()).isEqualTo(200);
    }

    @Test
    void lpm4KeyIsHostOrderLengthThenNetworkOrderAddress() throws Exception {
        PfLpm4Key k = new PfLpm4Key(24, (Inet4Address) InetAddress.getByName("10.1.2.0"));
        assertThat(encode(8, k, PfLpm4Key::encode)).isEqualTo(hex("18000000 0a010200"));
        roundTrip(8, k, PfLpm4Key::encode, PfLpm4Key::decode);
        assertThatThrownBy(() -> new PfLpm4Key(33, k.addr())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void lpm6KeyKeepsMappedAddressesAsIpv6() throws Exception {
        PfLpm6Key k = PfLpm6Key.of(128, InetAddress.getByName("::ffff:10.0.0.1"));
        assertThat(encode(20, k, PfLpm6Key::encode)).isEqualTo(hex("80000000 00000000000000000000ffff0a000001"));
        roundTrip(20, k, PfLpm6Key::encode, PfLpm6Key::decode);
        roundTrip(20, PfLpm6Key.of(32, InetAddress.getByName("fd00:10:244::")), PfLpm6Key::encode, PfLpm6Key::decode);
        assertThatThrownBy(() -> new PfLpm6Key(129, new byte[16])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PfLpm6Key(64, new byte[4])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prefixValueMarksUnusedPairs() {
        PfPrefixValue v = new PfPrefixValue(0x8000_0000_0000_0005L,
                List.of(new PfPrefixValue.RulePair(0, 7), new PfPrefixValue.RulePair(63, 0xfffffffe)));
        assertThat(encode(32, v, PfPrefixValue::encode)).isEqualTo(hex(
                "0500000000000080 07000000 feffffff 00000000 00000000 003fffff 00000000"));
        roundTrip(32, v, PfPrefixValue::encode, PfPrefixValue::decode);
        roundTrip(32, PfPrefixValue.of(1), PfPrefixValue::encode, PfPrefixValue::decode);
        assertThatThrownBy(() -> new PfPrefixValue.RulePair(64, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cfgRoundTrips() {
        int[] rules = new int[64];
        for (int i = 0; i < 64; i++) {
            rules[i] = 1000 + i;
        }
        PfCfg.Nets nets = new PfCfg.Nets(new int[] {32, 24, 16, 8, 7, 6, 5, 0}, new int[] {32}, new int[0],
                new int[] {128, 64, 48}, PfCfg.SKIP_SRC4 | PfCfg.SKIP_DST6);
        PfCfg c = new PfCfg(1, 2, 4, 8, 16, -1L, PfCfg.ALLOWLIST, 100, 20, 3, rules, nets, 0x20, PfCfg.DRY_RUN);
        byte[] raw = encode(368, c, PfCfg::encode);
        MemorySegment s = MemorySegment.ofArray(raw);
        assertThat(s.get(ValueLayout.JAVA_LONG_UNALIGNED, 40)).as("dry after allow").isEqualTo(0x20);
        assertThat(s.get(ValueLayout.JAVA_LONG_UNALIGNED, 48)).as("active").isEqualTo(-1L);
        assertThat(s.get(ValueLayout.JAVA_INT_UNALIGNED, 56)).isEqualTo(1);
        assertThat(s.get(ValueLayout.JAVA_INT_UNALIGNED, 68)).isEqualTo(3);
        assertThat(s.get(ValueLayout.JAVA_INT_UNALIGNED, 72 + 4 * 63)).isEqualTo(1063);
        assertThat(java.util.Arrays.copyOfRange(raw, 328, 368)).isEqualTo(hex(
                "2018100807060500 20ffffffffffffff ffffffffffffffff 804030ffffffffff 09000000 01000000"));
        roundTrip(368, c, PfCfg::encode, PfCfg::decode);
        roundTrip(368, PfCfg.empty(), PfCfg::encode, PfCfg::decode);
        assertThatThrownBy(() -> new PfCfg(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rules, nets, 0, 4))
                .hasMessageContaining("flags");
        roundTrip(368, new PfCfg(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, rules, nets, 0, PfCfg.DRY_RUN | PfCfg.REDIRECT),
                PfCfg::encode, PfCfg::decode);
        assertThatThrownBy(() -> new PfCfg.Nets(new int[] {24, 32}, new int[0], new int[0], new int[0], 0))
                .hasMessageContaining("longest first");
        assertThatThrownBy(() -> new PfCfg.Nets(new int[] {33}, new int[0], new int[0], new int[0], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PfCfg.Nets(new int[0], new int[0], new int[] {9, 8, 7, 6, 5, 4, 3, 2, 1}, new int[0], 0))
                .hasMessageContaining("at most 8");
        assertThat(PfCfg.empty().slotRule()).containsOnly(PfFragVal.RULE_NONE);
    }

    @Test
    void netKeysAreLengthPaddingThenTheMaskedAddress() throws Exception {
        PfNetKey k4 = new PfNetKey(20, InetAddress.getByName("10.1.255.9").getAddress());
        assertThat(k4.addr()).isEqualTo(hex("0a01f000"));
        assertThat(encode(8, k4, PfNetKey::encode)).isEqualTo(hex("14000000 0a01f000"));
        roundTrip(8, k4, PfNetKey::encode, seg -> PfNetKey.decode(seg, 4));
        PfNetKey k6 = new PfNetKey(65, InetAddress.getByName("2001:db8:1:2:ffff::1").getAddress());
        assertThat(encode(20, k6, PfNetKey::encode)).isEqualTo(hex("41000000 20010db800010002 8000000000000000"));
        roundTrip(20, k6, PfNetKey::encode, seg -> PfNetKey.decode(seg, 16));
        assertThat(new PfNetKey(0, hex("ffffffff")).addr()).isEqualTo(new byte[4]);
        assertThat(new PfNetKey(32, hex("ffffffff")).addr()).isEqualTo(hex("ffffffff"));
        assertThatThrownBy(() -> new PfNetKey(33, new byte[4])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void smallValuesRoundTrip() throws Exception {
        PfAddr a = PfAddr.of(InetAddress.getByName("192.0.2.1"));
        assertThat(a.addr()).isEqualTo(hex("00000000000000000000ffffc0000201"));
        assertThat(a.address()).isEqualTo(InetAddress.getByName("192.0.2.1"));
        roundTrip(16, a, PfAddr::encode, PfAddr::decode);
        roundTrip(16, PfAddr.of(InetAddress.getByName("2001:db8::1")), PfAddr::encode, PfAddr::decode);
        roundTrip(16, new PfBucket(123_456_789_000L, -5L), PfBucket::encode, PfBucket::decode);
        roundTrip(12, new PfFragVal(128, PfFragVal.RULE_NONE), PfFragVal::encode, PfFragVal::decode);
        roundTrip(12, new PfFragVal(128, 7, PfFragVal.DRY_RUN), PfFragVal::encode, PfFragVal::decode);
        roundTrip(16, new PfCounter(3, 4500), PfCounter::encode, PfCounter::decode);
        assertThat(new PfCounter(1, 2).plus(new PfCounter(3, 4))).isEqualTo(new PfCounter(4, 6));
        assertThat(new PfBucket(3_500_000_000L, 0).packets(1)).isEqualTo(3);
    }

    @Test
    void redirectRecordsRoundTrip() {
        PfRdrEp e = new PfRdrEp(7, 42, Macs.parse("02:11:00:00:00:10"), Macs.parse("02:22:00:00:00:10"));
        MemorySegment s = Arena.ofAuto().allocate(PfRdrEp.LAYOUT);
        e.encode(s);
        assertThat(s.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(hex("07000000 2a000000 021100000010 022200000010"));
        roundTrip(20, e, PfRdrEp::encode, PfRdrEp::decode);
        roundTrip(8, new PfRdrIf(Macs.parse("02:00:00:00:00:02")), PfRdrIf::encode, PfRdrIf::decode);
        assertThat(e.toString()).contains("02:11:00:00:00:10");
        assertThatThrownBy(() -> Macs.parse("02:00:00:00:00")).hasMessageContaining("6 bytes expected");
        assertThatThrownBy(() -> Macs.parse("zz:00:00:00:00:01")).hasMessageContaining("MAC address 'zz");
        assertThatThrownBy(() -> new PfRdrIf(new byte[5])).hasMessageContaining("MAC address");
    }

    @Test
    void fragKeyRoundTrips() throws Exception {
        PfFragKey k = PfFragKey.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2"), 0xbeef, 17);
        byte[] raw = encode(40, k, PfFragKey::encode);
        assertThat(raw).endsWith(hex("efbe0000 11 04 0000"));
        roundTrip(40, k, PfFragKey::encode, PfFragKey::decode);
        PfFragKey k6 = PfFragKey.of(InetAddress.getByName("2001:db8::1"), InetAddress.getByName("2001:db8::2"), -2, 6);
        assertThat(k6.family()).isEqualTo(6);
        roundTrip(40, k6, PfFragKey::encode, PfFragKey::decode);
    }

    @Test
    void eventRoundTripsAndKeepsOnlyCapturedBytes() throws Exception {
        PfEvent e = new PfEvent(99, 3, 42, 128, 60, 1234, 80, 4, 6,
                PfAddr.of(InetAddress.getByName("10.0.0.1")).addr(), PfAddr.of(InetAddress.getByName("10.0.0.2")).addr(),
                hex("0102030405"), 0);
        PfEvent back = roundTrip(200, e, PfEvent::encode, PfEvent::decode);
        assertThat(back.data()).hasSize(5);
        assertThat(back.source()).contains(InetAddress.getByName("10.0.0.1"));
        assertThat(back.dropReason()).contains(dev.weir.datapath.DropReason.DROP_DENY_RULE);
        assertThat(back.toString()).contains("Denied by prefilter rule").contains("10.0.0.1:1234");
        PfEvent none = new PfEvent(1, 1, -1, 131, 5, 0, 0, 0, 0, new byte[16], new byte[16], hex("0102030405"), 0);
        assertThat(roundTrip(200, none, PfEvent::encode, PfEvent::decode).source()).isEmpty();
        PfEvent dry = new PfEvent(1, 1, 2, 128, 5, 0, 0, 0, 0, new byte[16], new byte[16], hex("01"), PfFragVal.DRY_RUN);
        assertThat(roundTrip(200, dry, PfEvent::encode, PfEvent::decode).dryRun()).isTrue();
        assertThat(dry.toString()).contains("(dry run)");
        assertThat(back.dryRun()).isFalse();
    }

    @Test
    void mapNames() {
        assertThat(PrefilterMaps.src4(1)).isEqualTo(PrefilterMaps.SRC4_1);
        assertThat(PrefilterMaps.dst6(0)).isEqualTo(PrefilterMaps.DST6_0);
        assertThat(PrefilterMaps.port(0)).isEqualTo(PrefilterMaps.PORT_0);
        assertThat(PrefilterMaps.proto(1)).isEqualTo(PrefilterMaps.PROTO_1);
        assertThat(PrefilterMaps.portKey(PrefilterMaps.PORT_CLASS_SCTP, 65535)).isEqualTo(PrefilterMaps.PORT_ENTRIES - 1);
        assertThatThrownBy(() -> PrefilterMaps.src4(2)).isInstanceOf(IllegalArgumentException.class);
        assertThat(PrefilterMaps.snet4(0)).isEqualTo("pf_snet4_0");
        assertThat(PrefilterMaps.dnet6(1)).isEqualTo("pf_dnet6_1");
    }
}
