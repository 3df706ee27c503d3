package dev.weir.agent.store;

/** The store's directory cannot be read or written; the message names the file and the cause. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
