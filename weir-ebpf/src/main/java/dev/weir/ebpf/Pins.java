package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/** Pinning kernel objects on a bpffs and opening pins. */
final class Pins {

    private Pins() {
    }

    static void pin(Fd fd, Path path, String object) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfSys.bpfObjPin(fd.get(), arena.allocateFrom(path.toString()));
            if (rc < 0) {
                throw new BpfKernelException("bpf_obj_pin", object, rc, "at " + path);
            }
        }
    }

    /** Opens the object pinned at {@code path}; the caller owns the descriptor. */
    static Fd open(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            return Fd.check(LibBpfSys.bpfObjGet(arena.allocateFrom(path.toString())), "bpf_obj_get", path.toString());
        }
    }
}
