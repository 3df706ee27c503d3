package dev.weir.agent.api;

/**
 * An API call failed. The code says whose fault it is, and travels over the wire with the message:
 * {@code invalid} (bad input: a policy that does not validate, a pod that does not exist; the CLI exits 2),
 * {@code bad_request} (a malformed request or unknown method), {@code unavailable} (no agent answers),
 * {@code internal} (the agent failed).
 */
public final class ApiException extends RuntimeException {

    public static final String INVALID = "invalid";
    public static final String BAD_REQUEST = "bad_request";
    public static final String UNAVAILABLE = "unavailable";
    public static final String INTERNAL = "internal";

    private final String code;

    public ApiException(String code, String message) {
        super(message);
        this.code = code;
    }

    public ApiException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** True for the user's fault (bad input), false for the machine's. */
    public boolean isUserError() {
        return code.equals(INVALID);
    }
}
