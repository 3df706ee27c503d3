package dev.weir.ebpf;

/**
 * The kernel (or libbpf on its behalf) refused an operation. The message reads
 * {@code operation(object): NAME (errno)}, followed by {@code : detail} when there is more to say,
 * e.g. {@code bpf_map_update_elem(ct4): E2BIG (7)}.
 */
public final class BpfKernelException extends BpfException {

    private final String operation;
    private final String object;
    private final int code;
    private final String detail;

    /** An error without further detail; {@code errno} may be negative (libbpf's convention). */
    public BpfKernelException(String operation, String object, int errno) {
        this(operation, object, errno, "");
    }

    /** An error with a human-readable detail appended to the message. */
    public BpfKernelException(String operation, String object, int errno, String detail) {
        super(message(operation, object, errno, detail));
        this.operation = operation;
        this.object = object;
        this.code = Math.abs(errno);
        this.detail = detail;
    }

    private static String message(String operation, String object, int errno, String detail) {
        String base = operation + "(" + object + "): " + Errno.describe(errno);
        return detail.isEmpty() ? base : base + ": " + detail;
    }

    /** The failed operation, usually the libbpf or syscall function name. */
    public String operation() {
        return operation;
    }

    /** The map, program, link, interface or path the operation was about. */
    public String object() {
        return object;
    }

    /** The errno; {@link Errno#UNKNOWN} when not listed, see {@link #errnoCode()}. */
    public Errno errno() {
        return Errno.of(code);
    }

    /** The errno as a positive number, also for unknown errnos. */
    public int errnoCode() {
        return code;
    }

    /** Extra explanation, or empty. */
    public String detail() {
        return detail;
    }
}
