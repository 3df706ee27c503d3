package dev.weir.agent.prefilter;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.HashedLengths;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;
import dev.weir.datapath.prefilter.PfCfg;
import dev.weir.datapath.prefilter.PfLpm4Key;
import dev.weir.datapath.prefilter.PfLpm6Key;
import dev.weir.datapath.prefilter.PfNetKey;
import dev.weir.datapath.prefilter.PfPrefixValue;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.UpdateFlag;

/**
 * {@link TableWriter} over the prefilter's pinned maps in one directory. Opens each map from its pin on
 * first use and closes them all in {@link #close()}; the pins stay. Kernel failures raise the ebpf
 * library's exceptions with the map named.
 */
final class KernelTables implements TableWriter, AutoCloseable {

    private final Path dir;
    private final Map<String, BpfMap<?, ?>> open = new HashMap<>();

    KernelTables(Path dir) {
        this.dir = dir;
    }

    @Override
    public int activeGeneration() {
        return u32Map(PrefilterMaps.ACTIVE).lookup(0).orElse(0) != 0 ? 1 : 0;
    }

    @Override
    public void activate(int gen) {
        u32Map(PrefilterMaps.ACTIVE).put(0, gen);
    }

    @Override
    public void putConfig(int gen, GenConfig c) {
        HashedLengths h = c.hashed();
        int skip = (h.trieEmpty("pf_src4") ? PfCfg.SKIP_SRC4 : 0) | (h.trieEmpty("pf_dst4") ? PfCfg.SKIP_DST4 : 0)
                | (h.trieEmpty("pf_src6") ? PfCfg.SKIP_SRC6 : 0) | (h.trieEmpty("pf_dst6") ? PfCfg.SKIP_DST6 : 0);
        PfCfg.Nets nets = new PfCfg.Nets(ints(h.src4()), ints(h.dst4()), ints(h.src6()), ints(h.dst6()), skip);
        PfCfg cfg = new PfCfg(c.needSrc(), c.needDst(), c.needL4(), c.deny(), c.allow(), c.active(), c.mode(),
                (int) c.ratePps(), (int) c.rateBurst(), (int) c.sampleEvery(), c.slotRule(), nets, c.dry(),
                (c.dryRun() ? PfCfg.DRY_RUN : 0) | (c.redirect() ? PfCfg.REDIRECT : 0));
        map(PrefilterMaps.CFG, Codec.u32(), PfCfg.CODEC).put(gen, cfg);
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /*
     * Prefixes of the hashed lengths go to the table's hash map (pf_snet4 …), keyed by (length, masked
     * address), which the datapath consults before the trie; every other prefix goes to the trie.
     */
    @Override
    public void putPrefixes(String trie, int gen, Map<Cidr, PrefixEntry> entries, List<Integer> hashed) {
        entries.forEach((k, v) -> {
            if (hashed.contains(k.length())) {
                netMap(trie, gen).put(new PfNetKey(k.length(), k.address()), value(v));
            } else if (k.isIpv4()) {
                lpm4(trie, gen).put(new PfLpm4Key(k.length(), inet4(k.address())), value(v));
            } else {
                lpm6(trie, gen).put(new PfLpm6Key(k.length(), k.address()), value(v));
            }
        });
    }

    @Override
    public void deletePrefixes(String trie, int gen, Iterable<Cidr> prefixes, List<Integer> hashed) {
        for (Cidr k : prefixes) {
            if (hashed.contains(k.length())) {
                netMap(trie, gen).delete(new PfNetKey(k.length(), k.address()));
            } else if (k.isIpv4()) {
                lpm4(trie, gen).delete(new PfLpm4Key(k.length(), inet4(k.address())));
            } else {
                lpm6(trie, gen).delete(new PfLpm6Key(k.length(), k.address()));
            }
        }
    }

    @Override
    public void clearPrefixes(String trie, int gen) {
        BpfMap<PfNetKey, PfPrefixValue> nets = netMap(trie, gen);
        nets.keys().forEach(nets::delete);
        if (trie.endsWith("4")) {
            BpfMap<PfLpm4Key, PfPrefixValue> m = lpm4(trie, gen);
            m.keys().forEach(m::delete);
        } else {
            BpfMap<PfLpm6Key, PfPrefixValue> m = lpm6(trie, gen);
            m.keys().forEach(m::delete);
        }
    }

    /** pf_src4 → pf_snet4_G, pf_dst6 → pf_dnet6_G. */
    private BpfMap<PfNetKey, PfPrefixValue> netMap(String trie, int gen) {
        String name = "pf_" + trie.charAt(3) + "net" + trie.charAt(trie.length() - 1) + "_" + gen;
        return map(name, trie.endsWith("4") ? PfNetKey.CODEC4 : PfNetKey.CODEC6, PfPrefixValue.CODEC);
    }

    private BpfMap<PfLpm4Key, PfPrefixValue> lpm4(String trie, int gen) {
        return map(trie + "_" + gen, PfLpm4Key.CODEC, PfPrefixValue.CODEC);
    }

    private BpfMap<PfLpm6Key, PfPrefixValue> lpm6(String trie, int gen) {
        return map(trie + "_" + gen, PfLpm6Key.CODEC, PfPrefixValue.CODEC);
    }

    @Override
    public void putPorts(int gen, Map<Integer, Long> entries) {
        putArray(PrefilterMaps.port(gen), entries);
    }

    @Override
    public void putProtos(int gen, Map<Integer, Long> entries) {
        putArray(PrefilterMaps.proto(gen), entries);
    }

    @Override
    public void clearL4(int gen) {
        zeroArray(PrefilterMaps.port(gen), PrefilterMaps.PORT_ENTRIES);
        zeroArray(PrefilterMaps.proto(gen), PrefilterMaps.PROTO_ENTRIES);
    }

    private void putArray(String name, Map<Integer, Long> entries) {
        if (entries.isEmpty()) {
            return;
        }
        List<Integer> keys = new ArrayList<>(entries.keySet());
        List<Long> values = new ArrayList<>(keys.size());
        keys.forEach(k -> values.add(entries.get(k)));
        map(name, Codec.u32(), Codec.u64()).updateBatch(keys, values, UpdateFlag.ANY);
    }

    private void zeroArray(String name, int entries) {
        List<Integer> keys = new ArrayList<>(entries);
        for (int i = 0; i < entries; i++) {
            keys.add(i);
        }
        map(name, Codec.u32(), Codec.u64()).updateBatch(keys, Collections.nCopies(entries, 0L), UpdateFlag.ANY);
    }

    private static PfPrefixValue value(PrefixEntry e) {
        List<PfPrefixValue.RulePair> pairs = new ArrayList<>();
        int[] slots = e.ruleSlots();
        int[] rules = e.rules();
        for (int i = 0; i < PrefixEntry.PAIRS; i++) {
            if (slots[i] != PrefixEntry.UNUSED_SLOT) {
                pairs.add(new PfPrefixValue.RulePair(slots[i], rules[i]));
            }
        }
        return new PfPrefixValue(e.slots(), pairs);
    }

    private static Inet4Address inet4(byte[] a) {
        try {
            return (Inet4Address) InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private BpfMap<Integer, Integer> u32Map(String name) {
        return map(name, Codec.u32(), Codec.u32());
    }

    @SuppressWarnings("unchecked")
    private <K, V> BpfMap<K, V> map(String name, Codec<K> k, Codec<V> v) {
        return (BpfMap<K, V>) open.computeIfAbsent(name, n -> BpfMap.fromPin(dir.resolve(n), k, v));
    }

    @Override
    public void close() {
        open.values().forEach(BpfMap::close);
        open.clear();
    }
}
