package dev.weir.ebpf;

import java.util.List;
import java.util.Optional;

/** A struct's layout (or a data section's variables) as the compiler recorded it in BTF. */
public record BtfStruct(String name, int size, List<BtfMember> members) {

    public BtfStruct {
        members = List.copyOf(members);
    }

    /** The member of that name. */
    public Optional<BtfMember> member(String memberName) {
        return members.stream().filter(m -> m.name().equals(memberName)).findFirst();
    }
}
