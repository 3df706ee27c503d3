package dev.weir.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.List;

import dev.weir.ebpf.Btf;
import dev.weir.ebpf.BtfMember;
import dev.weir.ebpf.BtfStruct;

/** Test helper: a Java record layout against its C struct in an object's BTF. */
public final class BtfLayouts {

    private BtfLayouts() {
    }

    /** Asserts that {@code layout} (named as the C struct) has the struct's size and members at its offsets. */
    public static void assertMatches(Btf btf, StructLayout layout) {
        String name = layout.name().orElseThrow();
        BtfStruct c = btf.struct(name).orElseThrow(() -> new AssertionError(
                "struct " + name + " not in the object's BTF; it has " + btf.structNames()));
        assertThat(layout.byteSize()).as("sizeof(struct %s)", name).isEqualTo(c.size());
        List<BtfMember> java = layout.memberLayouts().stream()
                .map(m -> new BtfMember(m.name().orElseThrow(), (int) layout.byteOffset(
                        MemoryLayout.PathElement.groupElement(m.name().orElseThrow())), (int) m.byteSize()))
                .toList();
        assertThat(java).as("members of struct %s", name).containsExactlyElementsOf(c.members());
    }
}
