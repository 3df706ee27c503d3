package dev.weir.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Test fixture: DNS messages on the wire (RFC 1035), built by hand so that tests control every byte: queries,
 * and responses whose answers name the question by a compression pointer ({@code 0xc00c}), as servers send
 * them. Stateless.
 */
public final class DnsWire {

    public static final int A = 1;
    public static final int CNAME = 5;
    public static final int AAAA = 28;
    public static final int NOERROR = 0;
    public static final int NXDOMAIN = 3;
    /** The offset of the first question's name: what {@code 0xc00c} points to. */
    public static final int QNAME = 12;

    private DnsWire() {
    }

    /** An answer: for A/AAAA {@code value} is an address, for CNAME a name; {@code owner} null: the question's name. */
    public record Answer(String owner, int type, long ttl, String value) {
    }

    /** A query (RD set) for one name. */
    public static byte[] query(int id, String name, int type) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        u16(b, id);
        u16(b, 0x0100);
        u16(b, 1);
        u16(b, 0);
        u16(b, 0);
        u16(b, 0);
        name(b, name);
        u16(b, type);
        u16(b, 1);
        return b.toByteArray();
    }

    /** The response to a query: its header and question echoed, QR RA set, the rcode, the answers. */
    public static byte[] response(byte[] query, int rcode, List<Answer> answers) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        u16(b, (query[0] & 0xff) << 8 | query[1] & 0xff);
        u16(b, 0x8180 | rcode);
        u16(b, 1);
        u16(b, answers.size());
        u16(b, 0);
        u16(b, 0);
        b.write(query, QNAME, query.length - QNAME);
        for (Answer a : answers) {
            if (a.owner() == null) {
                u16(b, 0xc000 | QNAME);
            } else {
                name(b, a.owner());
            }
            u16(b, a.type());
            u16(b, 1);
            u16(b, (int) (a.ttl() >>> 16));
            u16(b, (int) a.ttl());
            byte[] rdata = a.type() == CNAME ? nameBytes(a.value()) : Frames.ip(a.value()).getAddress();
            u16(b, rdata.length);
            b.writeBytes(rdata);
        }
        return b.toByteArray();
    }

    /** The first question's name of a query, with a trailing dot (no compression in questions here). */
    public static String questionName(byte[] msg) {
        StringBuilder s = new StringBuilder();
        int at = QNAME;
        while (at < msg.length && msg[at] != 0) {
            int len = msg[at] & 0xff;
            s.append(new String(msg, at + 1, len, StandardCharsets.US_ASCII)).append('.');
            at += 1 + len;
        }
        return s.toString();
    }

    /** The first question's type. */
    public static int questionType(byte[] msg) {
        int at = QNAME;
        while (msg[at] != 0) {
            at += 1 + (msg[at] & 0xff);
        }
        return (msg[at + 1] & 0xff) << 8 | msg[at + 2] & 0xff;
    }

    static byte[] nameBytes(String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        name(b, name);
        return b.toByteArray();
    }

    private static void name(ByteArrayOutputStream b, String name) {
        for (String label : name.split("\\.")) {
            if (!label.isEmpty()) {
                b.write(label.length());
                b.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
            }
        }
        b.write(0);
    }

    private static void u16(ByteArrayOutputStream b, int v) {
        b.write(v >> 8 & 0xff);
        b.write(v & 0xff);
    }
}
