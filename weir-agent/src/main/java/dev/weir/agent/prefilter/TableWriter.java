package dev.weir.agent.prefilter;

import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;

/**
 * Writes one generation's maps. The kernel implementation writes BPF maps; tests use maps in memory.
 * Trie names are the stems of docs/prefilter-datapath.md ({@code pf_src4} …); {@code gen} is 0 or 1.
 */
public interface TableWriter {

    int activeGeneration();

    void activate(int gen);

    void putConfig(int gen, GenConfig cfg);

    void putPrefixes(String trie, int gen, Map<Cidr, PrefixEntry> entries);

    void deletePrefixes(String trie, int gen, Iterable<Cidr> prefixes);

    /** Removes every entry of the trie in that generation. */
    void clearPrefixes(String trie, int gen);

    /** Sets pf_port entries (index to slot mask; 0 clears). */
    void putPorts(int gen, Map<Integer, Long> entries);

    /** Sets pf_proto entries (protocol to slot mask; 0 clears). */
    void putProtos(int gen, Map<Integer, Long> entries);

    /** Zeroes every pf_port and pf_proto entry of the generation. */
    void clearL4(int gen);
}
