package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.weir.agent.datapath.PolicyMapCompiler.Entry;
import dev.weir.agent.net.PortRange;

class PolicyMapCompilerTest {

    @Test
    void portRangesSplitIntoTheFewestAlignedBlocks() {
        assertThat(PolicyMapCompiler.portBlocks(80, 80)).containsExactly(new int[] {80, 16});
        assertThat(PolicyMapCompiler.portBlocks(80, 81)).containsExactly(new int[] {80, 15});
        assertThat(PolicyMapCompiler.portBlocks(1, 65535)).hasSize(16);
        List<int[]> b = PolicyMapCompiler.portBlocks(32000, 32768);
        int covered = b.stream().mapToInt(x -> 1 << (16 - x[1])).sum();
        assertThat(covered).isEqualTo(769);
    }

    @Test
    void aDenyIsNeverHiddenByALongerAllow() {
        List<PolicyBlock> blocks = PolicyMapCompiler.compile(List.of(
                new Entry(300, null, null, null, true, 1),
                new Entry(300, 4, 6, PortRange.single(80), false, 2),
                new Entry(301, null, 6, new PortRange(80, 90), true, 3),
                new Entry(301, null, 6, new PortRange(85, 95), false, 4)));
        assertThat(PolicyMapCompiler.lookup(blocks, 300, 4, 6, 80).deny()).isTrue();
        assertThat(PolicyMapCompiler.lookup(blocks, 301, 4, 6, 86).deny()).isTrue();
        assertThat(PolicyMapCompiler.lookup(blocks, 301, 6, 6, 91).deny()).isFalse();
        assertThat(PolicyMapCompiler.lookup(blocks, 301, 6, 17, 91)).isNull();
    }

    /** Longest-prefix lookups over the blocks decide exactly what the entries mean: deny wins, else allow. */
    @Test
    void blocksAgreeWithEntrySemanticsOnRandomEntries() {
        Random rnd = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<Entry> entries = new ArrayList<>();
            for (int i = 0, n = 1 + rnd.nextInt(8); i < n; i++) {
                Integer fam = rnd.nextInt(3) == 0 ? null : rnd.nextBoolean() ? 4 : 6;
                Integer proto = rnd.nextInt(3) == 0 ? null : rnd.nextBoolean() ? 6 : 17;
                PortRange ports = null;
                if (proto != null && rnd.nextBoolean()) {
                    int lo = 1 + rnd.nextInt(40);
                    ports = new PortRange(lo, lo + rnd.nextInt(30));
                }
                entries.add(new Entry(7, fam, proto, ports, rnd.nextInt(3) == 0, i + 1));
            }
            List<PolicyBlock> blocks = PolicyMapCompiler.compile(entries);
            for (int fam : new int[] {4, 6}) {
                for (int proto : new int[] {6, 17, 1}) {
                    for (int port = 0; port < 75; port++) {
                        PolicyBlock hit = PolicyMapCompiler.lookup(blocks, 7, fam, proto, port);
                        String kernel = hit == null ? "none" : hit.deny() ? "deny" : "allow";
                        assertThat(kernel).as("round %d fam %d proto %d port %d %s", round, fam, proto, port, entries)
                                .isEqualTo(meaning(entries, fam, proto, port));
                    }
                }
            }
        }
    }

    private static String meaning(List<Entry> entries, int fam, int proto, int port) {
        boolean allow = false;
        for (Entry e : entries) {
            boolean m = (e.family() == null || e.family() == fam) && (e.proto() == null || e.proto() == proto)
                    && (e.ports() == null || (proto != 1 && e.ports().contains(port)));
            if (m && e.deny()) {
                return "deny";
            }
            allow |= m;
        }
        return allow ? "allow" : "none";
    }
}
