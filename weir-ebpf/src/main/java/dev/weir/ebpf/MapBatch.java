package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batch operations of one {@link BpfMap} ({@code bpf_map_*_batch}), falling back to one syscall per
 * element when the map type has none (the kernel answers ENOTSUPP / EOPNOTSUPP).
 */
final class MapBatch<K, V> {

    private static final int CHUNK = 256;
    private static final long BATCH_OPTS_SIZE = 24;   // struct bpf_map_batch_opts { sz; elem_flags; flags; }

    private final BpfMap<K, V> map;

    MapBatch(BpfMap<K, V> map) {
        this.map = map;
    }

    void update(List<K> keys, List<V> values, UpdateFlag flag) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException(keys.size() + " keys but " + values.size() + " values");
        }
        if (keys.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = encodeAll(arena, keys, map.keyCodec, map.meta.keySize());
            MemorySegment v = encodeAll(arena, values, map.valueCodec, map.kernelValueSize());
            MemorySegment count = arena.allocateFrom(ValueLayout.JAVA_INT, keys.size());
            int rc = LibBpfSys.bpfMapUpdateBatch(map.fd.get(), k, v, count, opts(arena, flag.code()));
            if (unsupported(rc)) {
                for (int i = 0; i < keys.size(); i++) {
                    map.update(keys.get(i), values.get(i), flag);
                }
                return;
            }
            Native.check(rc, "bpf_map_update_batch", map.name());
        }
    }

    int delete(List<K> keys) {
        if (keys.isEmpty()) {
            return 0;
        }
        try (Arena arena = Arena.ofConfined()) {
            long keySize = map.meta.keySize();
            MemorySegment all = encodeAll(arena, keys, map.keyCodec, keySize);
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int deleted = 0;
            int next = 0;
            while (next < keys.size()) {
                count.set(ValueLayout.JAVA_INT, 0, keys.size() - next);
                int rc = LibBpfSys.bpfMapDeleteBatch(map.fd.get(), all.asSlice(next * keySize), count,
                        opts(arena, 0));
                if (unsupported(rc)) {
                    return deleted + deleteOneByOne(keys.subList(next, keys.size()));
                }
                int done = count.get(ValueLayout.JAVA_INT, 0);
                deleted += done;
                next += done;
                if (rc == -Errno.ENOENT.code()) {
                    next++;          // the key at 'next' was absent: skip it and go on
                } else {
                    Native.check(rc, "bpf_map_delete_batch", map.name());
                }
            }
            return deleted;
        }
    }

    private int deleteOneByOne(List<K> keys) {
        int deleted = 0;
        for (K key : keys) {
            deleted += map.delete(key) ? 1 : 0;
        }
        return deleted;
    }

    Map<K, V> lookupAll() {
        Map<K, V> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            long keySize = map.meta.keySize();
            long valueSize = map.kernelValueSize();
            int chunk = Math.max(1, Math.min(CHUNK, map.meta.maxEntries()));
            MemorySegment keys = arena.allocate(keySize * chunk, 8);
            MemorySegment values = arena.allocate(valueSize * chunk, 8);
            MemorySegment tokenIn = arena.allocate(Math.max(8, keySize), 8);
            MemorySegment tokenOut = arena.allocate(Math.max(8, keySize), 8);
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment in = MemorySegment.NULL;
            while (true) {
                count.set(ValueLayout.JAVA_INT, 0, chunk);
                int rc = LibBpfSys.bpfMapLookupBatch(map.fd.get(), in, tokenOut, keys, values, count, opts(arena, 0));
                if (unsupported(rc) && in.equals(MemorySegment.NULL)) {
                    return map.entries();
                }
                int n = count.get(ValueLayout.JAVA_INT, 0);
                for (int i = 0; i < n; i++) {
                    out.put(map.keyCodec.decode(keys.asSlice(i * keySize, keySize)),
                            map.valueCodec.decode(values.asSlice(i * valueSize, valueSize)));
                }
                if (rc == -Errno.ENOENT.code()) {
                    return out;
                }
                Native.check(rc, "bpf_map_lookup_batch", map.name());
                MemorySegment.copy(tokenOut, 0, tokenIn, 0, tokenIn.byteSize());
                in = tokenIn;
            }
        }
    }

    private static boolean unsupported(int rc) {
        return rc == -Errno.ENOTSUPP.code() || rc == -Errno.EOPNOTSUPP.code();
    }

    private static <T> MemorySegment encodeAll(Arena arena, List<T> items, Codec<T> codec, long stride) {
        MemorySegment all = arena.allocate(Math.max(1, stride * items.size()), 8);
        for (int i = 0; i < items.size(); i++) {
            codec.encode(items.get(i), all.asSlice(i * stride, stride));
        }
        return all;
    }

    private static MemorySegment opts(Arena arena, long elemFlags) {
        MemorySegment opts = arena.allocate(BATCH_OPTS_SIZE, 8);
        opts.set(ValueLayout.JAVA_LONG, 0, BATCH_OPTS_SIZE);
        opts.set(ValueLayout.JAVA_LONG, 8, elemFlags);
        return opts;
    }
}
