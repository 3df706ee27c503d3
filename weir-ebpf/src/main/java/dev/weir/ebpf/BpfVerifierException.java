package dev.weir.ebpf;

import java.util.List;

/**
 * The verifier rejected a program. The message ends with the last lines of the verifier log;
 * {@link #log()} keeps the whole log.
 */
public final class BpfVerifierException extends BpfException {

    private static final int TAIL_LINES = 20;

    private final String program;
    private final int code;
    private final String log;

    public BpfVerifierException(String program, int errno, String log) {
        super("verifier rejected program " + program + ": " + Errno.describe(errno) + "\n" + tail(log));
        this.program = program;
        this.code = Math.abs(errno);
        this.log = log;
    }

    /** The rejected program's name. */
    public String program() {
        return program;
    }

    /** The errno of the failed load, usually {@link Errno#EACCES} or {@link Errno#EINVAL}. */
    public Errno errno() {
        return Errno.of(code);
    }

    /** The whole verifier log. */
    public String log() {
        return log;
    }

    /** The last lines of the verifier log, as in the message. */
    public String logTail() {
        return tail(log);
    }

    private static String tail(String log) {
        List<String> lines = log.strip().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    }
}
