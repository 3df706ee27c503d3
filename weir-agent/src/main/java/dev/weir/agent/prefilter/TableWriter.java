package dev.weir.agent.prefilter;

import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.GenConfig;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;

/**
 * Writes one generation's maps. The kernel implementation writes BPF maps; tests use maps in memory.
 * Table names are the trie stems of docs/prefilter-datapath.md ({@code pf_src4} …); a table is the trie
 * and its hash map ({@code pf_snet4} …), and {@code hashed} (the table's lengths in the generation's
 * {@link CompiledRules.HashedLengths}) says which of the two holds a prefix. {@code gen} is 0 or 1.
 */
public interface TableWriter {

    int activeGeneration();

    void activate(int gen);

    void putConfig(int gen, GenConfig cfg);

    /** Adds or replaces prefixes: those of a length in {@code hashed} in the hash map, the others in the trie. */
    void putPrefixes(String trie, int gen, Map<Cidr, PrefixEntry> entries, List<Integer> hashed);

    /** Removes prefixes from where {@code hashed} puts them. */
    void deletePrefixes(String trie, int gen, Iterable<Cidr> prefixes, List<Integer> hashed);

    /** Removes every entry of the table (trie and hash map) in that generation. */
    void clearPrefixes(String trie, int gen);

    /** Sets pf_port entries (index to slot mask; 0 clears). */
    void putPorts(int gen, Map<Integer, Long> entries);

    /** Sets pf_proto entries (protocol to slot mask; 0 clears). */
    void putProtos(int gen, Map<Integer, Long> entries);

    /** Zeroes every pf_port and pf_proto entry of the generation. */
    void clearL4(int gen);
}
