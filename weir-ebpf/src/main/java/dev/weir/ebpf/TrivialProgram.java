package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A two-instruction program ({@code r0 = retval; exit}) for probes that need something to attach. */
final class TrivialProgram {

    private static final long LOAD_OPTS_SIZE = 104;   // sizeof(struct bpf_prog_load_opts), libbpf 1.1

    private TrivialProgram() {
    }

    /** Loads it; the caller owns the descriptor. */
    static Fd load(ProgramType type, AttachType expected, int retval) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(16, 8);
            insns.set(ValueLayout.JAVA_BYTE, 0, (byte) 0xb7);      // BPF_ALU64 | BPF_MOV | BPF_K, r0
            insns.set(ValueLayout.JAVA_INT, 4, retval);
            insns.set(ValueLayout.JAVA_BYTE, 8, (byte) 0x95);      // BPF_JMP | BPF_EXIT
            MemorySegment opts = arena.allocate(LOAD_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, LOAD_OPTS_SIZE);
            opts.set(ValueLayout.JAVA_INT, 12, expected == null ? 0 : expected.code());
            int rc = LibBpfSys.bpfProgLoad(type.code(), arena.allocateFrom("weir_probe"), arena.allocateFrom("GPL"),
                    insns, 2, opts);
            return Fd.check(rc, "bpf_prog_load", "probe " + type);
        }
    }
}
