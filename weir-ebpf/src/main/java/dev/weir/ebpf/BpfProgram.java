package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A loaded, verified program.
 *
 * <p>Ownership: a program from {@link BpfObject#program} belongs to its object ({@link #close()} does
 * nothing, the object's close releases it); one from {@link #fromPin} or {@link #fromId} owns its
 * descriptor and must be closed. Attached links and pins keep the program alive on their own.
 * Thread-safe. Kernel failures raise {@link BpfKernelException}.
 */
public final class BpfProgram implements AutoCloseable {

    private static final long TEST_RUN_OPTS_SIZE = 80;   // sizeof(struct bpf_test_run_opts), libbpf 1.1

    private final Fd fd;
    private final boolean owner;
    private final String name;
    private final ProgramType type;
    private final int id;

    BpfProgram(Fd fd, boolean owner, String name) {
        this.fd = fd;
        this.owner = owner;
        ProgramInfo info = Infos.program(fd, name);
        this.name = name.isEmpty() ? info.name() : name;
        this.type = info.type();
        this.id = info.id();
    }

    /**
     * Opens a pinned program; the caller owns the result.
     *
     * @throws BpfKernelException {@code bpf_obj_get} failures (ENOENT when nothing is pinned there)
     */
    public static BpfProgram fromPin(Path pin) {
        return owning(Pins.open(pin));
    }

    /**
     * Opens the program with that kernel id; the caller owns the result.
     *
     * @throws BpfKernelException ENOENT when no program has that id
     */
    public static BpfProgram fromId(int id) {
        return owning(Fd.check(LibBpfSys.getFdById(LibBpfSys.IdKind.PROGRAM, id), "bpf_prog_get_fd_by_id", "id " + id));
    }

    private static BpfProgram owning(Fd fd) {
        try {
            return new BpfProgram(fd, true, "");
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** The program's name (the C function's name; the kernel keeps at most 15 characters of it). */
    public String name() {
        return name;
    }

    public ProgramType type() {
        return type;
    }

    /** The kernel's id for this program. */
    public int id() {
        return id;
    }

    /** A fresh {@code bpf_prog_info} from the kernel. */
    public ProgramInfo info() {
        return Infos.program(fd, name);
    }

    /**
     * Pins the program at {@code path} (on a bpffs).
     *
     * @throws BpfKernelException EEXIST when the path is taken
     */
    public void pin(Path path) {
        Pins.pin(fd, path, name);
    }

    /**
     * Runs the program on a packet with {@code BPF_PROG_TEST_RUN}.
     *
     * @throws BpfKernelException e.g. EINVAL for a packet shorter than the program type accepts,
     *                            ENOSPC when the packet out does not fit {@link TestRun#dataOut()}
     */
    public TestRun.Result testRun(TestRun run) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] packet = run.packet();
            MemorySegment in = arena.allocate(Math.max(1, packet.length), 8);
            MemorySegment.copy(packet, 0, in, ValueLayout.JAVA_BYTE, 0, packet.length);
            MemorySegment out = arena.allocate(Math.max(1, run.dataOut()), 8);
            MemorySegment opts = arena.allocate(TEST_RUN_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, TEST_RUN_OPTS_SIZE);
            opts.set(ValueLayout.ADDRESS, 8, in);
            opts.set(ValueLayout.ADDRESS, 16, out);
            opts.set(ValueLayout.JAVA_INT, 24, packet.length);
            opts.set(ValueLayout.JAVA_INT, 28, run.dataOut());
            opts.set(ValueLayout.JAVA_INT, 60, run.repeat());
            Native.check(LibBpfSys.bpfProgTestRunOpts(fd.get(), opts), "bpf_prog_test_run_opts", name);
            int outLength = Math.min(run.dataOut(), opts.get(ValueLayout.JAVA_INT, 28));
            return new TestRun.Result(opts.get(ValueLayout.JAVA_INT, 56),
                    out.asSlice(0, outLength).toArray(ValueLayout.JAVA_BYTE),
                    Integer.toUnsignedLong(opts.get(ValueLayout.JAVA_INT, 64)));
        }
    }

    /** The descriptor, for the package (links, program arrays). */
    Fd fd() {
        return fd;
    }

    /** Releases the descriptor if this instance owns it; idempotent. */
    @Override
    public void close() {
        if (owner) {
            fd.close();
        }
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + ", " + type + ", id " + id + "]";
    }
}
