package dev.weir.ebpf.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A message the kernel sent: its header fields and payload (the family's fixed header, then attributes). Decoding
 * is pure Java: {@link #parse} splits what one {@code recv} read, {@link #attributes} reads attributes,
 * {@link #errno} and {@link #extackMessage} read an {@code NLMSG_ERROR} (an ACK when the errno is 0).
 *
 * @param payload the bytes after the {@code nlmsghdr}, in the host's order, positioned at 0
 */
public record NetlinkReply(int type, int flags, int seq, ByteBuffer payload) {

    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    /** In an error: the request is not echoed after the {@code nlmsgerr} (we ask for that: NETLINK_CAP_ACK). */
    static final int NLM_F_CAPPED = 0x100;
    /** In an error: extended-ACK attributes follow. */
    static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;

    /**
     * The messages in what one {@code recv} returned.
     *
     * @throws IllegalArgumentException when a length runs past the data (a truncated read)
     */
    public static List<NetlinkReply> parse(ByteBuffer data) {
        ByteBuffer in = data.duplicate().order(ByteOrder.nativeOrder());
        List<NetlinkReply> out = new ArrayList<>();
        int at = in.position();
        while (in.limit() - at >= NetlinkMessage.HEADER) {
            int length = in.getInt(at);
            if (length < NetlinkMessage.HEADER || at + length > in.limit()) {
                throw new IllegalArgumentException("netlink message of " + length + " bytes at " + at + " in " + in.limit());
            }
            ByteBuffer payload = in.slice(at + NetlinkMessage.HEADER, length - NetlinkMessage.HEADER).order(ByteOrder.nativeOrder());
            out.add(new NetlinkReply(in.getShort(at + 4) & 0xffff, in.getShort(at + 6) & 0xffff, in.getInt(at + 8), payload));
            at += align(length);
        }
        return out;
    }

    /** The attributes after the payload's fixed header of {@code fixedHeader} bytes, by type (nested: slices to parse again). */
    public Map<Integer, ByteBuffer> attributes(int fixedHeader) {
        return attributes(payload, fixedHeader);
    }

    /** The attributes in {@code data} from {@code offset} on, by type (the NLA_F_NESTED and byte-order bits cleared). */
    public static Map<Integer, ByteBuffer> attributes(ByteBuffer data, int offset) {
        Map<Integer, ByteBuffer> out = new HashMap<>();
        int at = offset;
        while (data.limit() - at >= NetlinkMessage.ATTR_HEADER) {
            int length = data.getShort(at) & 0xffff;
            if (length < NetlinkMessage.ATTR_HEADER || at + length > data.limit()) {
                break;
            }
            int type = data.getShort(at + 2) & 0x3fff;
            out.putIfAbsent(type, data.slice(at + NetlinkMessage.ATTR_HEADER, length - NetlinkMessage.ATTR_HEADER)
                    .order(ByteOrder.nativeOrder()));
            at += align(length);
        }
        return out;
    }

    /** A NUL-terminated string attribute's text. */
    public static String string(ByteBuffer attr) {
        int n = 0;
        while (n < attr.limit() && attr.get(n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        attr.get(0, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    public boolean isError() {
        return type == NLMSG_ERROR;
    }

    public boolean isDone() {
        return type == NLMSG_DONE;
    }

    /** An {@code NLMSG_ERROR}'s errno, positive; 0 for an ACK. */
    public int errno() {
        return -payload.getInt(0);
    }

    /** The kernel's own words about an error (the extended ACK's message), or empty. */
    public String extackMessage() {
        if ((flags & NLM_F_ACK_TLVS) == 0 || payload.limit() < 4 + NetlinkMessage.HEADER) {
            return "";
        }
        int echoed = (flags & NLM_F_CAPPED) != 0 ? NetlinkMessage.HEADER : payload.getInt(4);
        ByteBuffer msg = attributes(payload, 4 + align(echoed)).get(NLMSGERR_ATTR_MSG);
        return msg == null ? "" : string(msg);
    }

    static int align(int length) {
        return (length + 3) & ~3;
    }
}
