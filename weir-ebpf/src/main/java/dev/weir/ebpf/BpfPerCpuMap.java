package dev.weir.ebpf;

import java.lang.foreign.MemoryLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;

/**
 * A per-CPU map (hash, array, LRU hash): one value per possible CPU. Values travel as lists indexed by
 * CPU; in the kernel's buffer each CPU's value is rounded up to 8 bytes. Ownership and errors as for
 * {@link BpfMap}.
 */
public final class BpfPerCpuMap<K, V> extends BpfMap<K, List<V>> {

    private static final int POSSIBLE_CPUS = LibBpf.libbpfNumPossibleCpus();

    BpfPerCpuMap(Fd fd, boolean owner, MapInfo info, Codec<K> keys, Codec<V> perCpu) {
        super(fd, owner, info, keys, perCpuCodec(info, perCpu));
    }

    static boolean isPerCpu(MapType type) {
        return type == MapType.PERCPU_HASH || type == MapType.PERCPU_ARRAY || type == MapType.LRU_PERCPU_HASH
                || type == MapType.PERCPU_CGROUP_STORAGE;
    }

    /** The number of possible CPUs, the length of every value list. */
    public static int possibleCpus() {
        if (POSSIBLE_CPUS <= 0) {
            throw new BpfKernelException("libbpf_num_possible_cpus", "/sys/devices/system/cpu/possible", POSSIBLE_CPUS);
        }
        return POSSIBLE_CPUS;
    }

    /**
     * Opens a pinned per-CPU map; the caller owns the result.
     *
     * @throws BpfKernelException {@code bpf_obj_get} failures
     */
    public static <K, V> BpfPerCpuMap<K, V> fromPinPerCpu(Path pin, Codec<K> keys, Codec<V> perCpuValue) {
        Fd fd = Pins.open(pin);
        try {
            return new BpfPerCpuMap<>(fd, true, Infos.map(fd, pin.toString()), keys, perCpuValue);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    @Override
    long kernelValueSize() {
        return stride(meta.valueSize()) * possibleCpus();
    }

    /** Each CPU's value for {@code key}, indexed by CPU; empty list when the key is absent. */
    public List<V> lookupPerCpu(K key) {
        return lookup(key).orElse(List.of());
    }

    /** The CPUs' values combined with {@code sum} (e.g. adding counters); null when the key is absent. */
    public V lookupSum(K key, BinaryOperator<V> sum) {
        return lookup(key).flatMap(values -> values.stream().reduce(sum)).orElse(null);
    }

    private static long stride(long valueSize) {
        return (valueSize + 7) & ~7L;
    }

    private static <V> Codec<List<V>> perCpuCodec(MapInfo info, Codec<V> perCpu) {
        if (perCpu.size() != info.valueSize()) {
            throw new IllegalArgumentException("map " + info.name() + ": value codec is " + perCpu.size()
                    + " bytes, the map's per-CPU value is " + info.valueSize() + " bytes");
        }
        long stride = stride(info.valueSize());
        int cpus = possibleCpus();
        MemoryLayout slot = stride == perCpu.size() ? perCpu.layout()
                : MemoryLayout.structLayout(perCpu.layout(), MemoryLayout.paddingLayout(stride - perCpu.size()));
        MemoryLayout layout = MemoryLayout.sequenceLayout(cpus, slot);
        return Codec.of(layout, (values, dst) -> {
            if (values.size() != cpus) {
                throw new IllegalArgumentException("map " + info.name() + ": need one value per possible CPU ("
                        + cpus + "), got " + values.size());
            }
            for (int cpu = 0; cpu < cpus; cpu++) {
                perCpu.encode(values.get(cpu), dst.asSlice(cpu * stride, perCpu.size()));
            }
        }, src -> {
            List<V> out = new ArrayList<>(cpus);
            for (int cpu = 0; cpu < cpus; cpu++) {
                out.add(perCpu.decode(src.asSlice(cpu * stride, perCpu.size())));
            }
            return List.copyOf(out);
        });
    }

    /** Convenience: the same value on every CPU, e.g. for zeroing a counter. */
    public List<V> everyCpu(V value) {
        List<V> out = new ArrayList<>(possibleCpus());
        for (int i = 0; i < possibleCpus(); i++) {
            out.add(value);
        }
        return out;
    }

}
