package dev.weir.ebpf.netns;

/** Errno names for messages, for the few errnos namespace calls return. */
final class Errno {
    private Errno() {
    }

    static String describe(int errno) {
        String name = switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 9 -> "EBADF";
            case 13 -> "EACCES";
            case 22 -> "EINVAL";
            default -> "errno";
        };
        return name + " (" + errno + ")";
    }
}
