package dev.weir.ebpf;

/** BPF map types. {@link #code()} is the kernel's number ({@code enum bpf_map_type}). */
public enum MapType {
    UNSPEC(0),
    HASH(1),
    ARRAY(2),
    PROG_ARRAY(3),
    PERF_EVENT_ARRAY(4),
    PERCPU_HASH(5),
    PERCPU_ARRAY(6),
    STACK_TRACE(7),
    CGROUP_ARRAY(8),
    LRU_HASH(9),
    LRU_PERCPU_HASH(10),
    LPM_TRIE(11),
    ARRAY_OF_MAPS(12),
    HASH_OF_MAPS(13),
    DEVMAP(14),
    SOCKMAP(15),
    CPUMAP(16),
    XSKMAP(17),
    SOCKHASH(18),
    CGROUP_STORAGE(19),
    REUSEPORT_SOCKARRAY(20),
    PERCPU_CGROUP_STORAGE(21),
    QUEUE(22),
    STACK(23),
    SK_STORAGE(24),
    DEVMAP_HASH(25),
    STRUCT_OPS(26),
    RINGBUF(27),
    INODE_STORAGE(28),
    TASK_STORAGE(29),
    BLOOM_FILTER(30),
    USER_RINGBUF(31),
    CGRP_STORAGE(32),
    ARENA(33),
    ;

    private final int code;

    MapType(int code) {
        this.code = code;
    }

    /** The kernel's numeric value. */
    public int code() {
        return code;
    }

    /**
     * Whether entries come and go up to {@code max_entries}, so that counting them gives a fill level: hash, LRU
     * and LPM maps (an array is always full; a ring buffer's size is bytes).
     */
    public boolean hasFill() {
        return switch (this) {
            case HASH, LRU_HASH, PERCPU_HASH, LRU_PERCPU_HASH, LPM_TRIE, HASH_OF_MAPS -> true;
            default -> false;
        };
    }

    /** The constant with that kernel number, or empty when this library does not know it. */
    public static java.util.Optional<MapType> of(int code) {
        for (MapType t : values()) {
            if (t.code == code) {
                return java.util.Optional.of(t);
            }
        }
        return java.util.Optional.empty();
    }
}
