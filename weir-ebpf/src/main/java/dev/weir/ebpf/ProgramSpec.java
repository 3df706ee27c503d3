package dev.weir.ebpf;

/** A program as the object file declares it: its function name, ELF section and program type. */
public record ProgramSpec(String name, String section, ProgramType type) {
}
