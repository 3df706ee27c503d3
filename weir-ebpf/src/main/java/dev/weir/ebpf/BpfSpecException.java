package dev.weir.ebpf;

/**
 * An object file could not be read, or a spec was asked for something it does not contain. The message
 * names the object and libbpf's reason (or what the spec does contain).
 */
public final class BpfSpecException extends BpfException {

    public BpfSpecException(String message) {
        super(message);
    }

    public BpfSpecException(String message, Throwable cause) {
        super(message, cause);
    }
}
