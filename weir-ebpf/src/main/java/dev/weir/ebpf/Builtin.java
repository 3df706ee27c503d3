package dev.weir.ebpf;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The built-in codecs. */
final class Builtin {

    static final Codec<Integer> U8 = Codec.of(ValueLayout.JAVA_BYTE,
            (v, d) -> d.set(ValueLayout.JAVA_BYTE, 0, v.byteValue()),
            s -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, 0)));
    static final Codec<Integer> U16 = Codec.of(ValueLayout.JAVA_SHORT,
            (v, d) -> d.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, v.shortValue()),
            s -> Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)));
    static final Codec<Integer> U32 = Codec.of(ValueLayout.JAVA_INT,
            (v, d) -> d.set(ValueLayout.JAVA_INT_UNALIGNED, 0, v),
            s -> s.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
    static final Codec<Long> U64 = Codec.of(ValueLayout.JAVA_LONG,
            (v, d) -> d.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v),
            s -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));

    private Builtin() {
    }

    static Codec<byte[]> bytes(int n) {
        return Codec.of(MemoryLayout.sequenceLayout(n, ValueLayout.JAVA_BYTE), (v, d) -> {
            if (v.length != n) {
                throw new IllegalArgumentException("expected " + n + " bytes, got " + v.length);
            }
            MemorySegment.copy(v, 0, d, ValueLayout.JAVA_BYTE, 0, n);
        }, s -> s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
    }
}
