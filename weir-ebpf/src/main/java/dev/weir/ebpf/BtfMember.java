package dev.weir.ebpf;

/** A member of a BTF struct, or a variable of a BTF data section: byte offset and byte size. */
public record BtfMember(String name, int offset, int size) {
}
