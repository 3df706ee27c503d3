package dev.weir.cli;

/** Bad input from the user (exit code 2); the message says what is wrong and where. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }
}
