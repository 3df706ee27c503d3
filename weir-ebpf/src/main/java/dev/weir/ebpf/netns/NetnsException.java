package dev.weir.ebpf.netns;

/** A network namespace could not be entered or used; the message names the namespace and the errno. */
public final class NetnsException extends RuntimeException {
    public NetnsException(String message) {
        super(message);
    }

    public NetnsException(String message, Throwable cause) {
        super(message, cause);
    }
}
