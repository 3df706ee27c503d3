package dev.weir.agent.datapath;

import java.util.List;
import java.util.Map;

import dev.weir.datapath.lb.LbBackend;
import dev.weir.datapath.lb.LbFrontend;
import dev.weir.datapath.lb.LbMaglevKey;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;

/**
 * The five service maps {@link LbMapWriter} writes, as plain tables: the seam between the writer's diffing
 * and the kernel (tests count the operations on in-memory tables). The maps belong to the loaded object.
 */
record LbTables(Table<LbSvcKey, LbSvcVal> svc, Table<LbSlotKey, Integer> slot, Table<Integer, LbBackend> backend,
                Table<Integer, LbFrontend> revnat, Table<LbMaglevKey, Integer> maglev) {

    /** One map: update, delete, and a full read (only when an agent starts). */
    interface Table<K, V> {
        void put(K key, V value);

        /** {@code put} of each pair, in order; the kernel's maps take them in one syscall per 256 or so. */
        default void putAll(List<K> keys, List<V> values) {
            for (int i = 0; i < keys.size(); i++) {
                put(keys.get(i), values.get(i));
            }
        }

        void delete(K key);

        Map<K, V> entries();

        static <K, V> Table<K, V> of(BpfMap<K, V> map) {
            return new Table<>() {
                @Override
                public void put(K key, V value) {
                    map.put(key, value);
                }

                @Override
                public void putAll(List<K> keys, List<V> values) {
                    map.updateBatch(keys, values, dev.weir.ebpf.UpdateFlag.ANY);
                }

                @Override
                public void delete(K key) {
                    map.delete(key);
                }

                @Override
                public Map<K, V> entries() {
                    return map.entries();
                }
            };
        }
    }

    /** The object's pinned service maps. */
    static LbTables of(BpfObject obj) {
        return new LbTables(
                Table.of(obj.map(LbMaps.SVC, LbSvcKey.CODEC, LbSvcVal.CODEC)),
                Table.of(obj.map(LbMaps.SLOT, LbSlotKey.CODEC, Codec.u32())),
                Table.of(obj.map(LbMaps.BACKEND, Codec.u32(), LbBackend.CODEC)),
                Table.of(obj.map(LbMaps.REVNAT, Codec.u32(), LbFrontend.CODEC)),
                Table.of(obj.map(LbMaps.MAGLEV, LbMaglevKey.CODEC, Codec.u32())));
    }
}
