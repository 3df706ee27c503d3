package dev.weir.agent.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import dev.weir.agent.service.IpAddress;

/**
 * Reads DNS messages (RFC 1035) as the endpoint hooks copy them: the header, the question section and the
 * answer section (A, AAAA and CNAME records read, others skipped), names with compression pointers. Bytes
 * that are no DNS message give {@link DnsParse.Malformed} with a reason; a message cut inside the answer
 * section gives what was read before, marked {@code partial}. Stateless.
 */
public final class DnsParser {

    public static final int TYPE_A = 1;
    public static final int TYPE_CNAME = 5;
    public static final int TYPE_AAAA = 28;
    private static final int HEADER = 12;
    private static final int MAX_NAME = 255;
    /** More pointers than this in one name is a loop. */
    private static final int MAX_POINTERS = 32;

    private DnsParser() {
    }

    /** A message over TCP: the 2-byte length first (RFC 1035 4.2.2), the message after it. */
    public static DnsParse parseTcp(byte[] segment) {
        if (segment.length < 2) {
            return new DnsParse.Malformed("TCP: " + segment.length + " bytes, no 2-byte length prefix");
        }
        int len = (segment[0] & 0xff) << 8 | segment[1] & 0xff;
        byte[] msg = java.util.Arrays.copyOfRange(segment, 2, Math.min(segment.length, 2 + len));
        return parse(msg);
    }

    public static DnsParse parse(byte[] msg) {
        if (msg.length < HEADER) {
            return new DnsParse.Malformed(msg.length + " bytes, shorter than the 12-byte header");
        }
        Reader r = new Reader(msg);
        int id = r.u16(0);
        int flags = r.u16(2);
        int qd = r.u16(4);
        int an = r.u16(6);
        if (qd == 0) {
            return new DnsParse.Malformed("no question (QDCOUNT 0)");
        }
        int off = HEADER;
        List<DnsMessage.Question> questions = new ArrayList<>();
        try {
            for (int i = 0; i < qd; i++) {
                Name n = r.name(off);
                off = n.end();
                r.need(off, 4);
                questions.add(new DnsMessage.Question(n.text(), r.u16(off), r.u16(off + 2)));
                off += 4;
            }
        } catch (Bad e) {
            return new DnsParse.Malformed("question " + (questions.size() + 1) + ": " + e.getMessage());
        }
        boolean response = (flags & 0x8000) != 0;
        List<DnsMessage.Answer> answers = new ArrayList<>();
        boolean partial = false;
        try {
            for (int i = 0; i < an; i++) {
                Name n = r.name(off);
                off = n.end();
                r.need(off, 10);
                int type = r.u16(off);
                long ttl = r.u32(off + 4);
                int rdlen = r.u16(off + 8);
                off += 10;
                r.need(off, rdlen);
                answers.add(new DnsMessage.Answer(n.text(), type, ttl, value(r, type, off, rdlen)));
                off += rdlen;
            }
        } catch (Bad e) {
            partial = true;
        }
        return new DnsMessage(id, response, flags >> 11 & 0xf, flags & 0xf, (flags & 0x0200) != 0, questions, answers,
                partial);
    }

    private static String value(Reader r, int type, int off, int rdlen) throws Bad {
        return switch (type) {
            case TYPE_A, TYPE_AAAA -> {
                if (rdlen != (type == TYPE_A ? 4 : 16)) {
                    throw new Bad(typeName(type) + " record of " + rdlen + " bytes");
                }
                yield address(java.util.Arrays.copyOfRange(r.msg, off, off + rdlen));
            }
            case TYPE_CNAME -> r.name(off).text();
            default -> null;
        };
    }

    private static String address(byte[] raw) {
        try {
            return new IpAddress(InetAddress.getByAddress(raw).getAddress()).toString();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // not reached: 4 or 16 bytes
        }
    }

    /** {@code NOERROR}, {@code FORMERR}, {@code SERVFAIL}, {@code NXDOMAIN}, {@code NOTIMP}, {@code REFUSED} or {@code RCODE<n>}. */
    public static String rcodeName(int rcode) {
        return switch (rcode) {
            case 0 -> "NOERROR";
            case 1 -> "FORMERR";
            case 2 -> "SERVFAIL";
            case 3 -> "NXDOMAIN";
            case 4 -> "NOTIMP";
            case 5 -> "REFUSED";
            default -> "RCODE" + rcode;
        };
    }

    /** {@code A}, {@code AAAA}, {@code CNAME}… or {@code TYPE<n>} (RFC 3597). */
    public static String typeName(int type) {
        return switch (type) {
            case 1 -> "A";
            case 2 -> "NS";
            case 5 -> "CNAME";
            case 6 -> "SOA";
            case 12 -> "PTR";
            case 15 -> "MX";
            case 16 -> "TXT";
            case 28 -> "AAAA";
            case 33 -> "SRV";
            case 65 -> "HTTPS";
            case 255 -> "ANY";
            default -> "TYPE" + type;
        };
    }

    private record Name(String text, int end) {
    }

    private static final class Bad extends Exception {
        Bad(String why) {
            super(why, null, false, false);
        }
    }

    private record Reader(byte[] msg) {

        void need(int off, int n) throws Bad {
            if (off < 0 || off + n > msg.length) {
                throw new Bad("ends at byte " + msg.length + ", " + n + " bytes needed at " + off);
            }
        }

        int u8(int off) throws Bad {
            need(off, 1);
            return msg[off] & 0xff;
        }

        int u16(int off) {
            return off + 2 <= msg.length ? (msg[off] & 0xff) << 8 | msg[off + 1] & 0xff : -1;
        }

        long u32(int off) {
            return ((long) u16(off) << 16) | u16(off + 2);
        }

        /** The name at off, following pointers; its end is where the name ends in place (after a pointer). */
        Name name(int off) throws Bad {
            StringBuilder text = new StringBuilder();
            int end = -1;
            int pointers = 0;
            int at = off;
            while (true) {
                int len = u8(at);
                if ((len & 0xc0) == 0xc0) {
                    int target = (len & 0x3f) << 8 | u8(at + 1);
                    if (++pointers > MAX_POINTERS) {
                        throw new Bad("compression pointers loop at byte " + at);
                    }
                    if (target >= msg.length) {
                        throw new Bad("compression pointer at byte " + at + " to " + target + ", past the end");
                    }
                    if (end < 0) {
                        end = at + 2;
                    }
                    at = target;
                } else if ((len & 0xc0) != 0) {
                    throw new Bad("label type 0x" + Integer.toHexString(len & 0xc0) + " at byte " + at + " is not defined");
                } else if (len == 0) {
                    if (end < 0) {
                        end = at + 1;
                    }
                    return new Name(text.isEmpty() ? "." : text.toString(), end);
                } else {
                    need(at + 1, len);
                    for (int i = 0; i < len; i++) {
                        text.append(label((char) (msg[at + 1 + i] & 0xff)));
                    }
                    text.append('.');
                    if (text.length() > MAX_NAME) {
                        throw new Bad("name longer than " + MAX_NAME + " bytes at byte " + off);
                    }
                    at += 1 + len;
                }
            }
        }

        private static String label(char c) {
            return c > 0x20 && c < 0x7f && c != '.' && c != '\\' ? String.valueOf(c) : String.format("\\%03d", (int) c);
        }
    }
}
