package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A kernel map with typed keys and values.
 *
 * <p>Ownership: a map from {@link BpfObject#map} belongs to its object ({@link #close()} does nothing,
 * the object's close releases it); a map from {@link #fromPin} or {@link #fromId} owns its descriptor and
 * must be closed. A pinned map outlives every descriptor. Safe to use from several threads (each call is
 * one or more independent syscalls); not atomic across calls.
 *
 * <p>Every kernel failure raises {@link BpfKernelException} naming the syscall, the map and the errno;
 * "no such key" is {@link Optional#empty()} or {@code false}, never an exception.
 */
public sealed class BpfMap<K, V> implements AutoCloseable permits BpfPerCpuMap {

    final Fd fd;
    private final boolean owner;
    final MapInfo meta;
    final Codec<K> keyCodec;
    final Codec<V> valueCodec;
    private final MapBatch<K, V> batch;

    BpfMap(Fd fd, boolean owner, MapInfo info, Codec<K> keyCodec, Codec<V> valueCodec) {
        this.fd = fd;
        this.owner = owner;
        this.meta = info;
        this.keyCodec = keyCodec;
        this.valueCodec = valueCodec;
        checkSize("key", keyCodec.size(), meta.keySize());
        checkSize("value", valueCodec.size(), kernelValueSize());
        this.batch = new MapBatch<>(this);
    }

    private void checkSize(String what, long codecSize, long mapSize) {
        if (codecSize != mapSize) {
            throw new IllegalArgumentException("map " + meta.name() + ": " + what + " codec is " + codecSize
                    + " bytes, the map's " + what + " is " + mapSize + " bytes");
        }
    }

    /** Bytes of one value as the syscall reads and writes it (all CPUs' values for per-CPU maps). */
    long kernelValueSize() {
        return meta.valueSize();
    }

    /**
     * Opens a pinned map; the caller owns the result.
     *
     * @throws BpfKernelException {@code bpf_obj_get} failures (ENOENT when nothing is pinned there)
     * @throws IllegalArgumentException when the codecs' sizes do not match the map's
     */
    public static <K, V> BpfMap<K, V> fromPin(Path pin, Codec<K> keys, Codec<V> values) {
        Fd fd = Pins.open(pin);
        try {
            return new BpfMap<>(fd, true, Infos.map(fd, pin.toString()), keys, values);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * Opens the map with that kernel id, with raw byte codecs ({@link BpfPerCpuMap} for per-CPU
     * types); the caller owns the result.
     *
     * @throws BpfKernelException ENOENT when no map has that id
     */
    public static BpfMap<?, ?> fromId(int id) {
        Fd fd = Fd.check(LibBpfSys.getFdById(LibBpfSys.IdKind.MAP, id), "bpf_map_get_fd_by_id", "id " + id);
        try {
            MapInfo info = Infos.map(fd, "id " + id);
            Codec<byte[]> key = Codec.bytes(info.keySize());
            Codec<byte[]> value = Codec.bytes(info.valueSize());
            return BpfPerCpuMap.isPerCpu(info.type())
                    ? new BpfPerCpuMap<>(fd, true, info, key, value)
                    : new BpfMap<>(fd, true, info, key, value);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public String name() {
        return meta.name();
    }

    public MapType type() {
        return meta.type();
    }

    public int maxEntries() {
        return meta.maxEntries();
    }

    /** A fresh {@code bpf_map_info} from the kernel. */
    public MapInfo info() {
        return Infos.map(fd, name());
    }

    /** The value stored under {@code key}, or empty when there is none. */
    public Optional<V> lookup(K key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = encodeKey(arena, key);
            MemorySegment v = arena.allocate(kernelValueSize(), 8);
            int rc = LibBpfSys.bpfMapLookupElem(fd.get(), k, v);
            if (rc == -Errno.ENOENT.code()) {
                return Optional.empty();
            }
            Native.check(rc, "bpf_map_lookup_elem", name());
            return Optional.of(valueCodec.decode(v));
        }
    }

    /** Stores {@code value} under {@code key} as {@code flag} says. */
    public void update(K key, V value, UpdateFlag flag) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfSys.bpfMapUpdateElem(fd.get(), encodeKey(arena, key), encodeValue(arena, value), flag.code());
            Native.check(rc, "bpf_map_update_elem", name());
        }
    }

    /** {@link #update} with {@link UpdateFlag#ANY}. */
    public void put(K key, V value) {
        update(key, value, UpdateFlag.ANY);
    }

    /** Deletes {@code key}; false when it was absent. Array maps cannot delete (EINVAL). */
    public boolean delete(K key) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = LibBpfSys.bpfMapDeleteElem(fd.get(), encodeKey(arena, key));
            if (rc == -Errno.ENOENT.code()) {
                return false;
            }
            Native.check(rc, "bpf_map_delete_elem", name());
            return true;
        }
    }

    /** The keys present now (iterated with {@code bpf_map_get_next_key}; a snapshot). */
    public List<K> keys() {
        List<K> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cur = arena.allocate(Math.max(1, meta.keySize()), 8);
            MemorySegment next = arena.allocate(Math.max(1, meta.keySize()), 8);
            MemorySegment prev = MemorySegment.NULL;
            while (true) {
                int rc = LibBpfSys.bpfMapGetNextKey(fd.get(), prev, next);
                if (rc == -Errno.ENOENT.code()) {
                    return out;
                }
                Native.check(rc, "bpf_map_get_next_key", name());
                out.add(keyCodec.decode(next));
                MemorySegment.copy(next, 0, cur, 0, meta.keySize());
                prev = cur;
            }
        }
    }

    /** Every entry present now, in iteration order (a snapshot; entries deleted meanwhile are skipped). */
    public Map<K, V> entries() {
        Map<K, V> out = new LinkedHashMap<>();
        for (K key : keys()) {
            lookup(key).ifPresent(v -> out.put(key, v));
        }
        return out;
    }

    /** Number of entries present now (for array maps: their size). */
    public int count() {
        return keys().size();
    }

    /** Updates many entries in one syscall; per element where the map type has no batch operations. */
    public void updateBatch(List<K> keys, List<V> values, UpdateFlag flag) {
        batch.update(keys, values, flag);
    }

    /** Deletes many keys; returns how many were present and deleted. */
    public int deleteBatch(List<K> keys) {
        return batch.delete(keys);
    }

    /** Every entry, read in batches; by iteration where the map type has no batch operations. */
    public Map<K, V> lookupBatch() {
        return batch.lookupAll();
    }

    /**
     * Pins the map at {@code path} (on a bpffs); the pin keeps it alive after every descriptor closes.
     *
     * @throws BpfKernelException {@code bpf_obj_pin} failures (EEXIST when the path is taken)
     */
    public void pin(Path path) {
        Pins.pin(fd, path, name());
    }

    MemorySegment encodeKey(Arena arena, K key) {
        MemorySegment k = arena.allocate(Math.max(1, meta.keySize()), 8);
        keyCodec.encode(key, k);
        return k;
    }

    MemorySegment encodeValue(Arena arena, V value) {
        MemorySegment v = arena.allocate(kernelValueSize(), 8);
        valueCodec.encode(value, v);
        return v;
    }

    /** The descriptor, for the package (ring buffers, program arrays). */
    Fd fd() {
        return fd;
    }

    /** Releases the descriptor if this instance owns it; idempotent. */
    @Override
    public void close() {
        if (owner) {
            fd.close();
        }
    }

    @Override
    public String toString() {
        return "BpfMap[" + name() + ", " + type() + "]";
    }
}
