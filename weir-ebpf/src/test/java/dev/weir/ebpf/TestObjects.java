package dev.weir.ebpf;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;

/** The compiled test objects (src/test/bpf) and codecs for their C structs. */
final class TestObjects {

    private TestObjects() {
    }

    static ObjectSpec maps() {
        return ObjectSpec.resource(TestObjects.class, "/bpf/test_maps.o");
    }

    static ObjectSpec bad() {
        return ObjectSpec.resource(TestObjects.class, "/bpf/test_bad.o");
    }

    /** {@code struct counter { __u64 packets; __u64 bytes; }}. */
    record Counter(long packets, long bytes) {
        static final Codec<Counter> CODEC = Codec.of(
                MemoryLayout.structLayout(ValueLayout.JAVA_LONG.withName("packets"), ValueLayout.JAVA_LONG.withName("bytes")),
                (c, d) -> {
                    d.set(ValueLayout.JAVA_LONG, 0, c.packets());
                    d.set(ValueLayout.JAVA_LONG, 8, c.bytes());
                },
                s -> new Counter(s.get(ValueLayout.JAVA_LONG, 0), s.get(ValueLayout.JAVA_LONG, 8)));

        Counter plus(Counter o) {
            return new Counter(packets + o.packets, bytes + o.bytes);
        }
    }

    /** {@code struct flow_key}: addresses and ports in network byte order, explicit tail padding. */
    record FlowKey(int saddr, int daddr, int sport, int dport, int proto) {
        private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        static final Codec<FlowKey> CODEC = Codec.of(
                MemoryLayout.structLayout(BE_INT.withName("saddr"), BE_INT.withName("daddr"),
                        BE_SHORT.withName("sport"), BE_SHORT.withName("dport"), ValueLayout.JAVA_BYTE.withName("proto"),
                        MemoryLayout.paddingLayout(3).withName("pad")),
                (k, d) -> {
                    d.set(BE_INT, 0, k.saddr());
                    d.set(BE_INT, 4, k.daddr());
                    d.set(BE_SHORT, 8, (short) k.sport());
                    d.set(BE_SHORT, 10, (short) k.dport());
                    d.set(ValueLayout.JAVA_BYTE, 12, (byte) k.proto());
                },
                s -> new FlowKey(s.get(BE_INT, 0), s.get(BE_INT, 4), Short.toUnsignedInt(s.get(BE_SHORT, 8)),
                        Short.toUnsignedInt(s.get(BE_SHORT, 10)), Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, 12))));
    }

    /** {@code struct lpm_v4 { __u32 prefixlen; __u32 addr; }}: prefix length host order, address network order. */
    record LpmV4(int prefixLength, int addr) {
        private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        static final Codec<LpmV4> CODEC = Codec.of(
                MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("prefixlen"), BE_INT.withName("addr")),
                (k, d) -> {
                    d.set(ValueLayout.JAVA_INT, 0, k.prefixLength());
                    d.set(BE_INT, 4, k.addr());
                },
                s -> new LpmV4(s.get(ValueLayout.JAVA_INT, 0), s.get(BE_INT, 4)));
    }

    /** {@code struct event { __u32 kind; __u32 len; __u64 cookie; }}. */
    record Event(int kind, int len, long cookie) {
        static Event decode(java.lang.foreign.MemorySegment s) {
            return new Event(s.get(ValueLayout.JAVA_INT, 0), s.get(ValueLayout.JAVA_INT, 4), s.get(ValueLayout.JAVA_LONG, 8));
        }
    }

    static int ipv4(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    /** A 64-byte Ethernet/IPv4 frame, enough for XDP and TC test runs. */
    static byte[] packet() {
        byte[] p = new byte[64];
        p[12] = 0x08;
        p[14] = 0x45;
        return p;
    }
}
