package dev.weir.datapath;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Unaligned accessors (host order, and network order for the {@code __be} fields) and address helpers
 * shared by the datapath's record codecs (prefilter and endpoint). Stateless.
 */
public final class Mem {

    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;

    public static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    public static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);

    private static final ValueLayout.OfShort BE16_UNALIGNED =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32_UNALIGNED =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Mem() {
    }

    public static int be16(MemorySegment s, long off) {
        return Short.toUnsignedInt(s.get(BE16_UNALIGNED, off));
    }

    public static void be16(MemorySegment s, long off, int v) {
        s.set(BE16_UNALIGNED, off, (short) v);
    }

    public static int be32(MemorySegment s, long off) {
        return s.get(BE32_UNALIGNED, off);
    }

    public static void be32(MemorySegment s, long off, int v) {
        s.set(BE32_UNALIGNED, off, v);
    }

    public static MemoryLayout pad(int n) {
        return MemoryLayout.sequenceLayout(n, U8).withName("_pad");
    }

    public static MemoryLayout addr(String name) {
        return MemoryLayout.sequenceLayout(16, U8).withName(name);
    }

    /** The printable form of a 16-byte address (v4-mapped as IPv4). */
    public static String text(byte[] addr16) {
        return address(addr16).getHostAddress();
    }

    public static int checkRange(int v, int min, int max, String what) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " " + v + " not in " + min + ".." + max);
        }
        return v;
    }

    public static long offset(StructLayout layout, String field) {
        return layout.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    public static int u8(MemorySegment s, long off) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, off));
    }

    public static int u16(MemorySegment s, long off) {
        return Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, off));
    }

    public static int u32(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, off);
    }

    public static long u64(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
    }

    public static void u8(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }

    public static void u16(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, off, (short) v);
    }

    public static void u32(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_INT_UNALIGNED, off, v);
    }

    public static void u64(MemorySegment s, long off, long v) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
    }

    public static byte[] bytes(MemorySegment s, long off, int len) {
        return s.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
    }

    public static void bytes(MemorySegment s, long off, byte[] v) {
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_BYTE, off, v.length);
    }

    public static byte[] checkLength(byte[] v, int len, String what) {
        if (v.length != len) {
            throw new IllegalArgumentException(what + ": " + len + " bytes expected, got " + v.length);
        }
        return v.clone();
    }

    /** 16 bytes: an IPv6 address as is, an IPv4 address v4-mapped ({@code ::ffff:a.b.c.d}). */
    public static byte[] mapped(InetAddress a) {
        byte[] raw = a.getAddress();
        if (raw.length == 16) {
            return raw;
        }
        byte[] out = new byte[16];
        out[10] = (byte) 0xff;
        out[11] = (byte) 0xff;
        System.arraycopy(raw, 0, out, 12, 4);
        return out;
    }

    /** The address of 4 or 16 bytes (a v4-mapped IPv6 address comes back as IPv4, as Java does). */
    public static InetAddress address(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address length " + raw.length, e);
        }
    }
}
