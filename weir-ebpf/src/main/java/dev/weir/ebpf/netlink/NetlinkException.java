package dev.weir.ebpf.netlink;

import dev.weir.ebpf.Errno;

/**
 * The kernel refused a netlink request, or the exchange failed. The message reads
 * {@code operation: NAME (errno)}, then {@code : the kernel's words} when its extended ACK said more, e.g.
 * {@code add address 169.254.1.1/32 to lxc-x-a: EEXIST (17): File exists}.
 */
public final class NetlinkException extends RuntimeException {

    private final String operation;
    private final int code;
    private final String detail;

    public NetlinkException(String operation, int errno, String detail) {
        super(operation + ": " + Errno.describe(errno) + (detail.isEmpty() ? "" : ": " + detail));
        this.operation = operation;
        this.code = Math.abs(errno);
        this.detail = detail;
    }

    /** What was asked, naming the interface ({@code create veth lxc-x-a ...}). */
    public String operation() {
        return operation;
    }

    /** The errno; {@link Errno#UNKNOWN} when not listed, see {@link #errnoCode()}. */
    public Errno errno() {
        return Errno.of(code);
    }

    public int errnoCode() {
        return code;
    }

    /** The kernel's extended-ACK message, or empty. */
    public String detail() {
        return detail;
    }
}
