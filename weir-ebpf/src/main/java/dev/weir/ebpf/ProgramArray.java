package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * A {@code BPF_MAP_TYPE_PROG_ARRAY} (tail-call table): slots hold programs. Owned by the
 * {@link BpfObject} it came from; a slot keeps its program alive until cleared or the map goes away.
 */
public final class ProgramArray {

    private final BpfMap<Integer, Integer> map;

    ProgramArray(BpfMap<Integer, Integer> map) {
        if (map.type() != MapType.PROG_ARRAY) {
            throw new IllegalArgumentException("map " + map.name() + " is a " + map.type() + ", not a PROG_ARRAY");
        }
        this.map = map;
    }

    public String name() {
        return map.name();
    }

    /** Puts {@code program} in slot {@code index}. */
    public void set(int index, BpfProgram program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocateFrom(ValueLayout.JAVA_INT, index);
            MemorySegment value = arena.allocateFrom(ValueLayout.JAVA_INT, program.fd().get());
            Native.check(LibBpfSys.bpfMapUpdateElem(map.fd().get(), key, value, 0), "bpf_map_update_elem", name());
        }
    }

    /** Empties slot {@code index}; false when it was empty. */
    public boolean clear(int index) {
        return map.delete(index);
    }

    /** The id of the program in slot {@code index}, if any. */
    public Optional<Integer> programId(int index) {
        return map.lookup(index);
    }
}
