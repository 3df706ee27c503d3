package dev.weir.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * One netlink request as it is built: the {@code nlmsghdr}, the family's fixed header, then attributes, nested
 * ones too. Bytes in the host's order, each attribute padded to 4, as the kernel reads them. Pure Java (no
 * kernel): {@link #encode} gives the bytes, so that encoding is testable alone. Mutable, used by one thread.
 */
public final class NetlinkMessage {

    /** {@code sizeof(struct nlmsghdr)}. */
    public static final int HEADER = 16;
    /** {@code sizeof(struct nlattr)}. */
    static final int ATTR_HEADER = 4;

    private final int type;
    private final int flags;
    private final Deque<Integer> nests = new ArrayDeque<>();
    private ByteBuffer buf = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());

    /** A message of the type ({@code RTM_NEWLINK}, ...) with the flags ({@code NLM_F_REQUEST | ...}). */
    public NetlinkMessage(int type, int flags) {
        this.type = type;
        this.flags = flags;
        buf.position(HEADER);
    }

    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    /** Appends a byte of the fixed header. */
    public NetlinkMessage u8(int v) {
        room(1).put((byte) v);
        return this;
    }

    /** Appends a 16-bit field of the fixed header. */
    public NetlinkMessage u16(int v) {
        room(2).putShort((short) v);
        return this;
    }

    /** Appends a 32-bit field of the fixed header. */
    public NetlinkMessage u32(int v) {
        room(4).putInt(v);
        return this;
    }

    /** An attribute carrying the bytes as they are. */
    public NetlinkMessage attr(int attrType, byte[] value) {
        room(ATTR_HEADER + value.length + 3);
        buf.putShort((short) (ATTR_HEADER + value.length)).putShort((short) attrType).put(value);
        align();
        return this;
    }

    /** An attribute carrying a 32-bit value. */
    public NetlinkMessage attrU32(int attrType, int value) {
        return attr(attrType, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    /** An attribute carrying a NUL-terminated string. */
    public NetlinkMessage attrString(int attrType, String value) {
        byte[] s = value.getBytes(StandardCharsets.UTF_8);
        return attr(attrType, Arrays.copyOf(s, s.length + 1));
    }

    /** Opens a nested attribute: what follows until {@link #end} is inside it. */
    public NetlinkMessage begin(int attrType) {
        align();
        nests.push(buf.position());
        room(ATTR_HEADER).putShort((short) 0).putShort((short) attrType);
        return this;
    }

    /** Closes the innermost nested attribute, writing its length. */
    public NetlinkMessage end() {
        if (nests.isEmpty()) {
            throw new IllegalStateException("end() without begin()");
        }
        align();
        int start = nests.pop();
        buf.putShort(start, (short) (buf.position() - start));
        return this;
    }

    /** The message's bytes with the sequence number (port id 0: the kernel fills in the sender). */
    public byte[] encode(int seq) {
        if (!nests.isEmpty()) {
            throw new IllegalStateException(nests.size() + " nested attribute(s) not closed");
        }
        align();
        int length = buf.position();
        ByteBuffer out = buf.duplicate().order(ByteOrder.nativeOrder());
        out.putInt(0, length).putShort(4, (short) type).putShort(6, (short) flags).putInt(8, seq).putInt(12, 0);
        return Arrays.copyOf(buf.array(), length);
    }

    private void align() {
        int pad = (4 - buf.position() % 4) % 4;
        room(pad);
        for (int i = 0; i < pad; i++) {
            buf.put((byte) 0);
        }
    }

    private ByteBuffer room(int bytes) {
        if (buf.remaining() < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + bytes))
                    .order(ByteOrder.nativeOrder());
            bigger.put(buf.array(), 0, buf.position());
            buf = bigger;
        }
        return buf;
    }
}
