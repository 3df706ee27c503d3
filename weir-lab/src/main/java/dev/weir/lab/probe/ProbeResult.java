package dev.weir.lab.probe;

import dev.weir.lab.model.PortSpec;

/**
 * The outcome of one probe.
 *
 * @param from {@code ns/pod} or {@code ext}
 * @param to what was asked for: {@code ns/pod}, {@code ext} or an address
 * @param address the address probed
 * @param port protocol and port
 * @param allowed true when the reply arrived
 * @param backend who answered ({@code ns/pod}), or null when blocked
 * @param reply the reply line, or null when blocked
 * @param reason why it was blocked ({@code timeout}, {@code refused}, {@code unreachable: …}), or null
 * @param millis how long the probe took
 */
public record ProbeResult(String from, String to, String address, PortSpec port, boolean allowed, String backend,
                          String reply, String reason, long millis) {

    /** {@code allowed (y/b)} or {@code blocked}: the CLI's one-line answer. */
    public String summary() {
        return allowed ? "allowed (" + backend + ")" : "blocked";
    }

    /** For TCP/81: the client address the backend saw, or null. */
    public String clientAddress() {
        if (reply == null) {
            return null;
        }
        int space = reply.indexOf(' ');
        return space < 0 ? null : reply.substring(space + 1);
    }
}
