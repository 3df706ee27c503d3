package dev.weir.agent.cni;

/**
 * A CNI command failed: the spec's error code, message and details, printed by the plugin as the spec's
 * error result. Codes 1-99 are the spec's own (well-known) ones.
 */
public final class CniException extends RuntimeException {

    /** Incompatible CNI version. */
    public static final int INCOMPATIBLE_VERSION = 1;
    /** Unsupported field in the network configuration. */
    public static final int UNSUPPORTED_FIELD = 2;
    /** Container unknown or does not exist. */
    public static final int UNKNOWN_CONTAINER = 3;
    /** Invalid necessary environment variables, like CNI_COMMAND or CNI_CONTAINERID. */
    public static final int INVALID_ENVIRONMENT = 4;
    /** I/O failure. */
    public static final int IO_FAILURE = 5;
    /** Failed to decode content. */
    public static final int DECODING_FAILURE = 6;
    /** Invalid network configuration. */
    public static final int INVALID_CONFIG = 7;
    /** Try again later: a transient condition (the agent is not ready, the policy is not in force yet). */
    public static final int TRY_AGAIN_LATER = 11;

    private final int code;
    private final String details;

    public CniException(int code, String message, String details) {
        super(message);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public CniException(int code, String message) {
        this(code, message, "");
    }

    public int code() {
        return code;
    }

    public String details() {
        return details;
    }
}
