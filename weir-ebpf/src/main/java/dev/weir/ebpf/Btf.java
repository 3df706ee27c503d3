package dev.weir.ebpf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The named structs and data sections of an object file's BTF, read once when the spec is read.
 * Immutable; holds no native memory.
 */
public final class Btf {

    private static final int KIND_STRUCT = 4;
    private static final int KIND_DATASEC = 15;
    private static final int TYPE_HEADER = 12;
    private static final int ENTRY = 12;

    private final Map<String, BtfStruct> structs;
    private final Map<String, BtfStruct> datasecs;

    private Btf(Map<String, BtfStruct> structs, Map<String, BtfStruct> datasecs) {
        this.structs = Map.copyOf(structs);
        this.datasecs = Map.copyOf(datasecs);
    }

    static Btf empty() {
        return new Btf(Map.of(), Map.of());
    }

    /** The struct of that name, if the BTF has one. */
    public Optional<BtfStruct> struct(String name) {
        return Optional.ofNullable(structs.get(name));
    }

    /** A data section ({@code .rodata}, {@code .data}, {@code .bss}) with its variables as members. */
    public Optional<BtfStruct> datasec(String name) {
        return Optional.ofNullable(datasecs.get(name));
    }

    /** Names of all structs, sorted. */
    public List<String> structNames() {
        return List.copyOf(new TreeMap<>(structs).keySet());
    }

    /** Reads libbpf's {@code struct btf *} (may be NULL: no BTF). */
    static Btf read(MemorySegment btf) {
        if (btf.equals(MemorySegment.NULL)) {
            return empty();
        }
        Map<String, BtfStruct> structs = new TreeMap<>();
        Map<String, BtfStruct> datasecs = new TreeMap<>();
        int count = LibBpf.btfTypeCnt(btf);
        for (int id = 1; id < count; id++) {
            MemorySegment t = LibBpf.btfTypeById(btf, id).reinterpret(TYPE_HEADER);
            int info = t.get(ValueLayout.JAVA_INT, 4);
            int kind = (info >>> 24) & 0x1f;
            if (kind != KIND_STRUCT && kind != KIND_DATASEC) {
                continue;
            }
            String name = LibBpf.btfNameByOffset(btf, t.get(ValueLayout.JAVA_INT, 0));
            if (name.isEmpty()) {
                continue;
            }
            int vlen = info & 0xffff;
            MemorySegment entries = t.reinterpret(TYPE_HEADER + (long) vlen * ENTRY).asSlice(TYPE_HEADER);
            int size = t.get(ValueLayout.JAVA_INT, 8);
            if (kind == KIND_STRUCT) {
                structs.put(name, new BtfStruct(name, size, members(btf, entries, vlen, info < 0)));
            } else {
                datasecs.put(name, new BtfStruct(name, size, variables(btf, entries, vlen)));
            }
        }
        return new Btf(structs, datasecs);
    }

    /** {@code struct btf_member { name_off; type; offset; }}; offset in bits (low 24 bits with kind_flag). */
    private static List<BtfMember> members(MemorySegment btf, MemorySegment entries, int vlen, boolean kindFlag) {
        List<BtfMember> out = new ArrayList<>(vlen);
        for (int i = 0; i < vlen; i++) {
            long base = (long) i * ENTRY;
            String name = LibBpf.btfNameByOffset(btf, entries.get(ValueLayout.JAVA_INT, base));
            int type = entries.get(ValueLayout.JAVA_INT, base + 4);
            int bits = entries.get(ValueLayout.JAVA_INT, base + 8);
            int offsetBits = kindFlag ? bits & 0xffffff : bits;
            out.add(new BtfMember(name, offsetBits / 8, (int) LibBpf.btfResolveSize(btf, type)));
        }
        return out;
    }

    /** {@code struct btf_var_secinfo { type; offset; size; }}, type being a VAR with the variable's name. */
    private static List<BtfMember> variables(MemorySegment btf, MemorySegment entries, int vlen) {
        List<BtfMember> out = new ArrayList<>(vlen);
        for (int i = 0; i < vlen; i++) {
            long base = (long) i * ENTRY;
            MemorySegment var = LibBpf.btfTypeById(btf, entries.get(ValueLayout.JAVA_INT, base)).reinterpret(TYPE_HEADER);
            String name = LibBpf.btfNameByOffset(btf, var.get(ValueLayout.JAVA_INT, 0));
            out.add(new BtfMember(name, entries.get(ValueLayout.JAVA_INT, base + 4),
                    entries.get(ValueLayout.JAVA_INT, base + 8)));
        }
        return out;
    }
}
