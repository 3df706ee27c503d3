package dev.weir.ebpf;

/** What the kernel says about a map ({@code struct bpf_map_info}). */
public record MapInfo(int id, String name, MapType type, int keySize, int valueSize, int maxEntries, int flags) {
}
