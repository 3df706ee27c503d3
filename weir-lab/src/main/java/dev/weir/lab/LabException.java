package dev.weir.lab;

/**
 * The lab could not do what was asked: a command failed, an agent did not answer, the lab is not up.
 * The message says what failed and where (the command and its stderr, the agent and its log).
 * Bad input from the caller is an {@link IllegalArgumentException} instead.
 */
public class LabException extends RuntimeException {
    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
