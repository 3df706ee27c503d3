package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;

/**
 * The prefilter's maps in memory, recording the order of writes, for tests without a kernel. Prefixes are
 * placed like the kernel's: a table's hashed lengths in its hash map ({@link #hashes}), the rest in its
 * trie ({@link #tries}).
 */
final class InMemoryTables implements TableWriter {
    int active;
    final List<String> log = new ArrayList<>();
    final GenConfig[] cfg = {GenConfig.EMPTY, GenConfig.EMPTY};
    final List<Map<String, Map<Cidr, PrefixEntry>>> tries = List.of(new HashMap<>(), new HashMap<>());
    final List<Map<String, Map<Cidr, PrefixEntry>>> hashes = List.of(new HashMap<>(), new HashMap<>());
    final List<Map<Integer, Long>> ports = List.of(new HashMap<>(), new HashMap<>());
    final List<Map<Integer, Long>> protos = List.of(new HashMap<>(), new HashMap<>());

    /** The generation as compiled rules, for comparison with the compiler's output. */
    CompiledRules generation(int gen) {
        return new CompiledRules(cfg[gen], table(gen, "pf_src4"), table(gen, "pf_src6"), table(gen, "pf_dst4"),
                table(gen, "pf_dst6"), nonZero(ports.get(gen)), nonZero(protos.get(gen)));
    }

    /** Trie and hash map of a table together (a prefix in both would be a defect, and fails here). */
    Map<Cidr, PrefixEntry> table(int gen, String name) {
        Map<Cidr, PrefixEntry> out = new HashMap<>(placed(tries, gen, name));
        placed(hashes, gen, name).forEach((k, v) -> {
            if (out.put(k, v) != null) {
                throw new AssertionError(k + " is in both the trie and the hash map of " + name + " " + gen);
            }
        });
        return Map.copyOf(out);
    }

    static Map<Cidr, PrefixEntry> placed(List<Map<String, Map<Cidr, PrefixEntry>>> where, int gen, String name) {
        return Map.copyOf(where.get(gen).getOrDefault(name, Map.of()));
    }

    private Map<Cidr, PrefixEntry> target(int gen, String trie, Cidr prefix, List<Integer> hashed) {
        return (hashed.contains(prefix.length()) ? hashes : tries).get(gen).computeIfAbsent(trie, k -> new HashMap<>());
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
    public void putPrefixes(String trie, int gen, Map<Cidr, PrefixEntry> entries, List<Integer> hashed) {
        log.add("put " + trie + " " + gen);
        entries.forEach((k, v) -> target(gen, trie, k, hashed).put(k, v));
    }

    @Override
    public void deletePrefixes(String trie, int gen, Iterable<Cidr> prefixes, List<Integer> hashed) {
        log.add("delete " + trie + " " + gen);
        prefixes.forEach(p -> target(gen, trie, p, hashed).remove(p));
    }

    @Override
    public void clearPrefixes(String trie, int gen) {
        log.add("clear " + trie + " " + gen);
        tries.get(gen).remove(trie);
        hashes.get(gen).remove(trie);
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
