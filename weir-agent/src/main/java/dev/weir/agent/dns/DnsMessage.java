package dev.weir.agent.dns;

import java.util.List;

/**
 * A DNS message as {@link DnsParser} read it: the header's id, QR, opcode, TC and RCODE, the questions and
 * the answer section's records. {@code partial} when the bytes ended inside the answer section (a message
 * longer than the datapath copies, or a TCP message split across segments): what came before is kept.
 * Immutable.
 */
public record DnsMessage(int id, boolean response, int opcode, int rcode, boolean truncated,
                         List<Question> questions, List<Answer> answers, boolean partial) implements DnsParse {

    public DnsMessage {
        questions = List.copyOf(questions);
        answers = List.copyOf(answers);
    }

    /** A question: the name as sent, with a trailing dot ({@code www.example.org.}), its type and class. */
    public record Question(String name, int type, int qclass) {
    }

    /**
     * A record of the answer section.
     *
     * @param value A and AAAA: the address as text; CNAME: the target name (trailing dot); other types: null
     * @param ttl   seconds, unsigned 32-bit
     */
    public record Answer(String name, int type, long ttl, String value) {
    }

    /** The first question's name, or null without a question. */
    public String query() {
        return questions.isEmpty() ? null : questions.get(0).name();
    }

    /** {@code NOERROR}, {@code NXDOMAIN}… or {@code RCODE<n>}. */
    public String rcodeName() {
        return DnsParser.rcodeName(rcode);
    }
}
