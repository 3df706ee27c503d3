package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Whether a program type may call a helper: loads {@code call helper; r0 = 0; exit} and reads the
 * verifier's verdict. Done here rather than with libbpf 1.1's {@code libbpf_probe_bpf_helper}, which
 * does not recognise newer kernels' "program of this type cannot use helper" message and answers
 * "supported" for every helper. Like libbpf, any other verifier complaint (about the helper's
 * arguments) counts as supported.
 */
final class HelperProbe {

    private static final long LOAD_OPTS_SIZE = 104;
    private static final int LOG_SIZE = 64 * 1024;

    private HelperProbe() {
    }

    static Probe probe(ProgramType type, int helperId, String feature) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment insns = arena.allocate(24, 8);
            insns.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x85);      // BPF_JMP | BPF_CALL
            insns.set(ValueLayout.JAVA_INT, 4, helperId);
            insns.set(ValueLayout.JAVA_BYTE, 8, (byte) 0xb7);      // r0 = 0
            insns.set(ValueLayout.JAVA_BYTE, 16, (byte) 0x95);     // exit
            MemorySegment log = arena.allocate(LOG_SIZE);
            MemorySegment opts = arena.allocate(LOAD_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, LOAD_OPTS_SIZE);
            opts.set(ValueLayout.JAVA_INT, 12, expectedAttachType(type));
            opts.set(ValueLayout.JAVA_INT, 88, 1);                 // log_level
            opts.set(ValueLayout.JAVA_INT, 92, LOG_SIZE);          // log_size
            opts.set(ValueLayout.ADDRESS, 96, log);                // log_buf
            int rc = LibBpfSys.bpfProgLoad(type.code(), arena.allocateFrom("weir_probe"), arena.allocateFrom("GPL"),
                    insns, 3, opts);
            if (rc >= 0) {
                new Fd(rc).close();
                return new Probe.Supported();
            }
            String text = log.getString(0);
            if (text.contains("invalid func ") || text.contains("unknown func ") || text.contains("cannot use helper")) {
                return new Probe.Unsupported(feature, Features.kernel());
            }
            if (rc == -Errno.EPERM.code()) {
                return new Probe.Inconclusive("bpf_prog_load: EPERM (1): needs CAP_BPF / root");
            }
            return new Probe.Supported();
        }
    }

    private static int expectedAttachType(ProgramType type) {
        return switch (type) {
            case CGROUP_SOCK_ADDR -> AttachType.CGROUP_INET4_CONNECT.code();
            case CGROUP_SOCKOPT -> AttachType.CGROUP_GETSOCKOPT.code();
            case SK_LOOKUP -> AttachType.SK_LOOKUP.code();
            case XDP -> AttachType.XDP.code();
            default -> 0;
        };
    }
}
