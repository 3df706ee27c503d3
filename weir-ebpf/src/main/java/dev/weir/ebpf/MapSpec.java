package dev.weir.ebpf;

/**
 * A map as the object file declares it. Internal maps libbpf makes for global data are included under
 * libbpf's names (ending in {@code .rodata}, {@code .data}, {@code .bss}).
 */
public record MapSpec(String name, MapType type, int keySize, int valueSize, int maxEntries, int flags) {

    /** True for libbpf's global-data maps ({@code .rodata}, {@code .data}, {@code .bss}, …). */
    public boolean isInternal() {
        return name.contains(".");
    }
}
