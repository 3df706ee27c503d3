package dev.weir.bench.prefilter;

/** The benchmark cannot run on this machine as it is (not root, a tool missing, a name in use); exit 3. */
public final class CannotRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CannotRunException(String message) {
        super(message);
    }
}
