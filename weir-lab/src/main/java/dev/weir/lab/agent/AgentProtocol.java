package dev.weir.lab.agent;

/**
 * The agent's control protocol: one request line per Unix-socket connection, one answer line back.
 * <pre>
 * PING                                  -> PONG ID PID
 * PROBE TCP|UDP ADDRESS PORT TIMEOUT_MS -> OK REPLY-LINE | FAIL REASON
 * </pre>
 * REASON is {@code timeout}, {@code refused}, {@code unreachable: …} or {@code error: …}.
 */
public final class AgentProtocol {
    public static final String PING = "PING";
    public static final String PONG = "PONG";
    public static final String PROBE = "PROBE";
    public static final String OK = "OK";
    public static final String FAIL = "FAIL";

    private AgentProtocol() {
    }
}
