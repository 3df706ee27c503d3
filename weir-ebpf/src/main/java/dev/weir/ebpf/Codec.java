package dev.weir.ebpf;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Turns a map key or value into the bytes the kernel sees and back. The {@link #layout()} states the
 * exact size, padding and byte order; {@code encode} writes exactly {@link #size()} bytes, {@code decode}
 * reads them. Built-ins use the host's (little-endian) order. Implementations must be stateless and
 * thread-safe, and must not use reflection.
 */
public interface Codec<T> {

    /** The C layout, with explicit padding. */
    MemoryLayout layout();

    /** Writes {@code value} into {@code dst} (at least {@link #size()} bytes, zeroed by the caller). */
    void encode(T value, MemorySegment dst);

    /** Reads a value from {@code src}; the segment is only valid during the call. */
    T decode(MemorySegment src);

    /** The size in bytes: the layout's size. */
    default long size() {
        return layout().byteSize();
    }

    /** A codec from a layout and two functions. */
    static <T> Codec<T> of(MemoryLayout layout, BiConsumer<T, MemorySegment> encode,
                           Function<MemorySegment, T> decode) {
        return new Codec<>() {
            @Override
            public MemoryLayout layout() {
                return layout;
            }

            @Override
            public void encode(T value, MemorySegment dst) {
                encode.accept(value, dst);
            }

            @Override
            public T decode(MemorySegment src) {
                return decode.apply(src);
            }
        };
    }

    /** An unsigned byte, as an int 0–255. */
    static Codec<Integer> u8() {
        return Builtin.U8;
    }

    /** An unsigned 16-bit integer, as an int 0–65535. */
    static Codec<Integer> u16() {
        return Builtin.U16;
    }

    /** A 32-bit integer; values above 2^31-1 come back negative (use {@link Integer#toUnsignedLong}). */
    static Codec<Integer> u32() {
        return Builtin.U32;
    }

    /** A 64-bit integer; see {@link Long#toUnsignedString} for values above 2^63-1. */
    static Codec<Long> u64() {
        return Builtin.U64;
    }

    /** Exactly {@code n} raw bytes; encoding a different length is an {@link IllegalArgumentException}. */
    static Codec<byte[]> bytes(int n) {
        return Builtin.bytes(n);
    }
}
