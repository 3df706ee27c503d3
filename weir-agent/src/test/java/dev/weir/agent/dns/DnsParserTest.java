package dev.weir.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import dev.weir.testkit.DnsWire;

import org.junit.jupiter.api.Test;

/** {@link DnsParser} on messages built byte by byte ({@link DnsWire}), good and bad. */
class DnsParserTest {

    static DnsMessage ok(DnsParse p) {
        assertThat(p).isInstanceOf(DnsMessage.class);
        return (DnsMessage) p;
    }

    static String malformed(DnsParse p) {
        assertThat(p).isInstanceOf(DnsParse.Malformed.class);
        return ((DnsParse.Malformed) p).why();
    }

    @Test
    void aQueryGivesItsIdNameAndType() {
        DnsMessage m = ok(DnsParser.parse(DnsWire.query(0x1234, "www.Example.org", DnsWire.A)));
        assertThat(m.id()).isEqualTo(0x1234);
        assertThat(m.response()).isFalse();
        assertThat(m.questions()).containsExactly(new DnsMessage.Question("www.Example.org.", 1, 1));
        assertThat(m.query()).isEqualTo("www.Example.org.");
        assertThat(m.answers()).isEmpty();
        assertThat(m.partial()).isFalse();
    }

    @Test
    void aResponseFollowsCompressionPointersToTheQuestionAndInsideCnames() {
        byte[] q = DnsWire.query(7, "www.example.org", DnsWire.A);
        byte[] r = DnsWire.response(q, DnsWire.NOERROR, List.of(
                new DnsWire.Answer(null, DnsWire.CNAME, 300, "web.example.org"),
                new DnsWire.Answer("web.example.org", DnsWire.A, 30, "10.244.3.10"),
                new DnsWire.Answer("web.example.org", DnsWire.A, 4294967295L, "10.244.3.20")));
        DnsMessage m = ok(DnsParser.parse(r));
        assertThat(m.response()).isTrue();
        assertThat(m.rcodeName()).isEqualTo("NOERROR");
        assertThat(m.answers()).containsExactly(
                new DnsMessage.Answer("www.example.org.", DnsParser.TYPE_CNAME, 300, "web.example.org."),
                new DnsMessage.Answer("web.example.org.", DnsParser.TYPE_A, 30, "10.244.3.10"),
                new DnsMessage.Answer("web.example.org.", DnsParser.TYPE_A, 4294967295L, "10.244.3.20"));
    }

    @Test
    void aPointerInsideANameContinuesThere() {
        byte[] q = DnsWire.query(7, "example.org", DnsWire.A);
        byte[] r = DnsWire.response(q, 0, List.of(new DnsWire.Answer(null, DnsWire.CNAME, 5, "x")));
        // the CNAME's 3-byte rdata ("x") becomes the label "www" and a pointer to the question's example.org
        int rdata = r.length - 3;
        byte[] patched = Arrays.copyOf(r, rdata + 6);
        patched[rdata - 1] = 6;
        System.arraycopy(new byte[] {3, 'w', 'w', 'w', (byte) 0xc0, DnsWire.QNAME}, 0, patched, rdata, 6);
        DnsMessage m = ok(DnsParser.parse(patched));
        assertThat(m.answers()).extracting(DnsMessage.Answer::value).containsExactly("www.example.org.");
    }

    @Test
    void aaaaAnswersAndNxdomain() {
        byte[] q = DnsWire.query(9, "v6.example.org", DnsWire.AAAA);
        DnsMessage m = ok(DnsParser.parse(DnsWire.response(q, 0,
                List.of(new DnsWire.Answer(null, DnsWire.AAAA, 60, "fd00:10:244:3::10")))));
        assertThat(m.questions().get(0).type()).isEqualTo(DnsParser.TYPE_AAAA);
        assertThat(m.answers()).extracting(DnsMessage.Answer::value).containsExactly("fd00:10:244:3::10");

        DnsMessage nx = ok(DnsParser.parse(DnsWire.response(DnsWire.query(10, "nope.example.org", DnsWire.A),
                DnsWire.NXDOMAIN, List.of())));
        assertThat(nx.rcode()).isEqualTo(3);
        assertThat(nx.rcodeName()).isEqualTo("NXDOMAIN");
        assertThat(nx.query()).isEqualTo("nope.example.org.");
    }

    @Test
    void overTcpTheLengthPrefixIsSkipped() {
        byte[] q = DnsWire.query(11, "tcp.example.org", DnsWire.A);
        byte[] seg = new byte[q.length + 2];
        seg[0] = (byte) (q.length >> 8);
        seg[1] = (byte) q.length;
        System.arraycopy(q, 0, seg, 2, q.length);
        assertThat(ok(DnsParser.parseTcp(seg)).query()).isEqualTo("tcp.example.org.");
        assertThat(malformed(DnsParser.parseTcp(new byte[] {1}))).contains("no 2-byte length prefix");
    }

    @Test
    void truncatedAndMalformedMessagesAreClassifiedNeverThrown() {
        assertThat(malformed(DnsParser.parse(new byte[5]))).isEqualTo("5 bytes, shorter than the 12-byte header");
        byte[] q = DnsWire.query(1, "www.example.org", DnsWire.A);
        assertThat(malformed(DnsParser.parse(Arrays.copyOf(q, q.length - 3)))).startsWith("question 1: ends at byte");
        assertThat(malformed(DnsParser.parse(Arrays.copyOf(q, 20)))).startsWith("question 1: ends at byte 20");
        byte[] none = q.clone();
        none[5] = 0;
        assertThat(malformed(DnsParser.parse(none))).isEqualTo("no question (QDCOUNT 0)");
        byte[] reserved = q.clone();
        reserved[DnsWire.QNAME] = 0x43;
        assertThat(malformed(DnsParser.parse(reserved))).contains("label type 0x40 at byte 12 is not defined");
    }

    @Test
    void pointerLoopsAndPointersPastTheEndAreMalformed() {
        byte[] loop = DnsWire.query(1, "a", DnsWire.A);
        loop[DnsWire.QNAME] = (byte) 0xc0;
        loop[DnsWire.QNAME + 1] = DnsWire.QNAME;
        assertThat(malformed(DnsParser.parse(loop))).contains("compression pointers loop");
        byte[] past = DnsWire.query(1, "a", DnsWire.A);
        past[DnsWire.QNAME] = (byte) 0xc1;
        past[DnsWire.QNAME + 1] = (byte) 0xff;
        assertThat(malformed(DnsParser.parse(past))).contains("to 511, past the end");
    }

    @Test
    void aResponseCutInsideItsAnswersKeepsWhatCameBefore() {
        byte[] q = DnsWire.query(7, "many.example.org", DnsWire.A);
        byte[] r = DnsWire.response(q, 0, List.of(new DnsWire.Answer(null, DnsWire.A, 30, "10.0.0.1"),
                new DnsWire.Answer(null, DnsWire.A, 30, "10.0.0.2")));
        DnsMessage m = ok(DnsParser.parse(Arrays.copyOf(r, r.length - 2)));
        assertThat(m.partial()).isTrue();
        assertThat(m.answers()).extracting(DnsMessage.Answer::value).containsExactly("10.0.0.1");
    }

    @Test
    void randomBytesNeverThrow() {
        java.util.Random rnd = new java.util.Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            assertThat(DnsParser.parse(b)).isNotNull();
            assertThat(DnsParser.parseTcp(b)).isNotNull();
        }
    }
}
