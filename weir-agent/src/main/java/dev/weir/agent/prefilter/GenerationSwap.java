package dev.weir.agent.prefilter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.CompiledRules.PrefixEntry;

/**
 * The atomic rule change of docs/prefilter-datapath.md: write the new contents into the inactive
 * generation as a diff from the previous contents, flip {@code pf_active} (one 4-byte write the datapath
 * reads once per packet), then bring the formerly active generation up to date. Packets see the old
 * rules or the new ones, never a mix. Stateless.
 */
public final class GenerationSwap {

    private GenerationSwap() {
    }

    /** Both generations hold {@code previous}; afterwards both hold {@code next} and the active one flipped. */
    public static void apply(TableWriter w, CompiledRules previous, CompiledRules next) {
        int active = w.activeGeneration();
        int standby = 1 - active;
        writeDiff(w, standby, previous, next);
        w.activate(standby);
        writeDiff(w, active, previous, next);
    }

    /** Writes both generations from scratch, standby first, then flips and writes the other. */
    public static void rewrite(TableWriter w, CompiledRules all) {
        int active = w.activeGeneration();
        int standby = 1 - active;
        writeFull(w, standby, all);
        w.activate(standby);
        writeFull(w, active, all);
    }

    private static void writeFull(TableWriter w, int gen, CompiledRules c) {
        c.tries().forEach((name, entries) -> {
            w.clearPrefixes(name, gen);
            w.putPrefixes(name, gen, entries, c.cfg().hashed().of(name));
        });
        w.clearL4(gen);
        w.putPorts(gen, c.ports());
        w.putProtos(gen, c.protos());
        w.putConfig(gen, c.cfg());
    }

    /*
     * A table whose hashed lengths changed is rewritten whole: its prefixes move between the hash map and
     * the trie. Others get only their changes. The generation is not read while it is written.
     */
    private static void writeDiff(TableWriter w, int gen, CompiledRules prev, CompiledRules next) {
        Map<String, Map<Cidr, PrefixEntry>> oldTries = prev.tries();
        next.tries().forEach((name, entries) -> {
            List<Integer> hashed = next.cfg().hashed().of(name);
            if (!hashed.equals(prev.cfg().hashed().of(name))) {
                w.clearPrefixes(name, gen);
                w.putPrefixes(name, gen, entries, hashed);
                return;
            }
            Map<Cidr, PrefixEntry> old = oldTries.get(name);
            List<Cidr> gone = new ArrayList<>();
            old.keySet().forEach(k -> {
                if (!entries.containsKey(k)) {
                    gone.add(k);
                }
            });
            Map<Cidr, PrefixEntry> changed = new HashMap<>();
            entries.forEach((k, v) -> {
                if (!v.equals(old.get(k))) {
                    changed.put(k, v);
                }
            });
            w.putPrefixes(name, gen, changed, hashed);
            w.deletePrefixes(name, gen, gone, hashed);
        });
        w.putPorts(gen, diff(prev.ports(), next.ports()));
        w.putProtos(gen, diff(prev.protos(), next.protos()));
        w.putConfig(gen, next.cfg());
    }

    /** Entries to write so that a table holding {@code old} holds {@code next}: changed ones, removed ones as 0. */
    static Map<Integer, Long> diff(Map<Integer, Long> old, Map<Integer, Long> next) {
        Map<Integer, Long> out = new HashMap<>();
        next.forEach((k, v) -> {
            if (!v.equals(old.get(k))) {
                out.put(k, v);
            }
        });
        old.keySet().forEach(k -> {
            if (!next.containsKey(k)) {
                out.put(k, 0L);
            }
        });
        return out;
    }
}
