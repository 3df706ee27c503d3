package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A libbpf {@code struct bpf_object *} opened from ELF bytes, not yet (or already) loaded. Owns the object
 * and the native copy of the ELF bytes libbpf reads from; {@link #close()} frees both. Not thread-safe.
 */
final class OpenedObject implements AutoCloseable {

    private static final long OPEN_OPTS_SIZE = 80;   // sizeof(struct bpf_object_open_opts), libbpf 1.1
    private static final long OPEN_OPTS_NAME = 8;    // offsetof(object_name)

    final String name;
    final MemorySegment obj;
    private final Arena arena;

    private OpenedObject(String name, MemorySegment obj, Arena arena) {
        this.name = name;
        this.obj = obj;
        this.arena = arena;
    }

    /** @throws BpfSpecException when libbpf cannot parse the ELF */
    static OpenedObject open(String name, byte[] elf) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment buf = arena.allocate(elf.length, 8);
            MemorySegment.copy(elf, 0, buf, ValueLayout.JAVA_BYTE, 0, elf.length);
            MemorySegment opts = arena.allocate(OPEN_OPTS_SIZE, 8);
            opts.set(ValueLayout.JAVA_LONG, 0, OPEN_OPTS_SIZE);
            opts.set(ValueLayout.ADDRESS, OPEN_OPTS_NAME, arena.allocateFrom(name));
            MemorySegment capture = Native.allocateCapture(arena);
            MemorySegment obj = LibBpf.bpfObjectOpenMem(capture, buf, elf.length, opts);
            if (obj.equals(MemorySegment.NULL)) {
                throw new BpfSpecException("cannot read BPF object " + name + ": bpf_object__open_mem: "
                        + Errno.describe(Native.errno(capture)) + " (libbpf's log has the details)");
            }
            return new OpenedObject(name, obj, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    List<MemorySegment> programs() {
        List<MemorySegment> out = new ArrayList<>();
        for (MemorySegment p = LibBpf.bpfObjectNextProgram(obj, MemorySegment.NULL);
             !p.equals(MemorySegment.NULL); p = LibBpf.bpfObjectNextProgram(obj, p)) {
            out.add(p);
        }
        return out;
    }

    List<MemorySegment> maps() {
        List<MemorySegment> out = new ArrayList<>();
        for (MemorySegment m = LibBpf.bpfObjectNextMap(obj, MemorySegment.NULL);
             !m.equals(MemorySegment.NULL); m = LibBpf.bpfObjectNextMap(obj, m)) {
            out.add(m);
        }
        return out;
    }

    Arena arena() {
        return arena;
    }

    @Override
    public void close() {
        LibBpf.bpfObjectClose(obj);
        arena.close();
    }
}
