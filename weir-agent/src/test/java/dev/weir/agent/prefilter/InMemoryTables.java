package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;

/** The prefilter's maps in memory, recording the order of writes, for tests without a kernel. */
final class InMemoryTables implements TableWriter {
    int active;
    final List<String> log = new ArrayList<>();
    final GenConfig[] cfg = {GenConfig.EMPTY, GenConfig.EMPTY};
    final List<Map<String, Map<Cidr, PrefixEntry>>> tries = List.of(new HashMap<>(), new HashMap<>());
    final List<Map<Integer, Long>> ports = List.of(new HashMap<>(), new HashMap<>());
    final List<Map<Integer, Long>> protos = List.of(new HashMap<>(), new HashMap<>());

    /** The generation as compiled rules, for comparison with the compiler's output. */
    CompiledRules generation(int gen) {
        Map<String, Map<Cidr, PrefixEntry>> t = tries.get(gen);
        return new CompiledRules(cfg[gen], copy(t, "pf_src4"), copy(t, "pf_src6"), copy(t, "pf_dst4"), copy(t, "pf_dst6"),
                nonZero(ports.get(gen)), nonZero(protos.get(gen)));
    }

    private static Map<Cidr, PrefixEntry> copy(Map<String, Map<Cidr, PrefixEntry>> t, String name) {
        return Map.copyOf(t.getOrDefault(name, Map.of()));
    }

    private static Map<Integer, Long> nonZero(Map<Integer, Long> m) {
        Map<Integer, Long> out = new HashMap<>();
        m.forEach((k, v) -> {
            if (v != 0) {
                out.put(k, v);
            }
        });
        return Map.copyOf(out);
    }

    @Override
    public int activeGeneration() {
        return active;
    }

    @Override
    public void activate(int gen) {
        log.add("activate " + gen);
        active = gen;
    }

    @Override
    public void putConfig(int gen, GenConfig c) {
        log.add("cfg " + gen);
        cfg[gen] = c;
    }

    @Override
    public void putPrefixes(String trie, int gen, Map<Cidr, PrefixEntry> entries) {
        log.add("put " + trie + " " + gen);
        tries.get(gen).computeIfAbsent(trie, k -> new HashMap<>()).putAll(entries);
    }

    @Override
    public void deletePrefixes(String trie, int gen, Iterable<Cidr> prefixes) {
        log.add("delete " + trie + " " + gen);
        prefixes.forEach(p -> tries.get(gen).computeIfAbsent(trie, k -> new HashMap<>()).remove(p));
    }

    @Override
    public void clearPrefixes(String trie, int gen) {
        tries.get(gen).remove(trie);
    }

    @Override
    public void putPorts(int gen, Map<Integer, Long> entries) {
        log.add("ports " + gen);
        ports.get(gen).putAll(entries);
    }

    @Override
    public void putProtos(int gen, Map<Integer, Long> entries) {
        log.add("protos " + gen);
        protos.get(gen).putAll(entries);
    }

    @Override
    public void clearL4(int gen) {
        ports.get(gen).clear();
        protos.get(gen).clear();
    }
}
