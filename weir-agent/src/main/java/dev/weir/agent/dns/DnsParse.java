package dev.weir.agent.dns;

/**
 * What {@link DnsParser} made of a message's bytes: a {@link DnsMessage}, or {@link Malformed} with the
 * reason (never an exception).
 */
public sealed interface DnsParse permits DnsMessage, DnsParse.Malformed {

    /** Bytes that are no DNS message: {@code why} names what was wrong and where. */
    record Malformed(String why) implements DnsParse {
    }
}
