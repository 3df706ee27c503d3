package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.PortRange;

/** The one path from entries to {@code pol} keys: deny propagation, then {@link PolicyPrefixes}. */
class PolicyPrefixesTest {

    private static PolicyEntry e(int id, Integer fam, Integer proto, PortRange ports, Action a, int rule) {
        return new PolicyEntry(Direction.INGRESS, id, fam, proto, ports, a, rule);
    }

    private static PolicyPrefix p(int id, int fam, int proto, int port, int length, Action a, int rule) {
        return new PolicyPrefix(Direction.INGRESS, id, fam, proto, port, length, a, rule);
    }

    /** What the kernel does for the engine's entries: their prefixes, then longest-prefix lookups. */
    private static List<PolicyPrefix> keys(List<PolicyEntry> entries) {
        return PolicyPrefixes.of(DenyPropagation.apply(entries));
    }

    @Test
    void everyKeyLevelAndBothFamilies() {
        assertThat(PolicyPrefixes.expand(e(300, null, null, null, Action.ALLOW, 1)))
                .containsExactly(p(300, 0, 0, 0, 96, Action.ALLOW, 1));
        assertThat(PolicyPrefixes.expand(e(300, 6, null, null, Action.DENY, 2)))
                .containsExactly(p(300, 6, 0, 0, 104, Action.DENY, 2));
        assertThat(PolicyPrefixes.expand(e(300, null, 17, null, Action.ALLOW, 3)))
                .containsExactly(p(300, 4, 17, 0, 112, Action.ALLOW, 3), p(300, 6, 17, 0, 112, Action.ALLOW, 3));
        assertThat(PolicyPrefixes.expand(e(300, 4, 6, new PortRange(80, 90), Action.ALLOW, 4))).containsExactly(
                p(300, 4, 6, 80, 125, Action.ALLOW, 4), p(300, 4, 6, 88, 127, Action.ALLOW, 4), p(300, 4, 6, 90, 128, Action.ALLOW, 4));
    }

    @Test
    void entriesSharingAKeyLeaveItOneVerdict() {
        var out = PolicyPrefixes.of(List.of(e(300, null, 17, new PortRange(81, 1000), Action.ALLOW, 2),
                e(300, 4, 17, PortRange.single(81), Action.ALLOW, 1), e(300, 4, 17, PortRange.single(81), Action.ALLOW, 0),
                e(301, 4, null, null, Action.ALLOW, 1), e(301, 4, null, null, Action.DENY, 5)));
        assertThat(out).filteredOn(x -> x.length() == 128 && x.port() == 81)
                .containsExactly(p(300, 4, 17, 81, 128, Action.ALLOW, 1), p(300, 6, 17, 81, 128, Action.ALLOW, 2));
        assertThat(out).filteredOn(x -> x.peerIdentity() == 301).containsExactly(p(301, 4, 0, 0, 104, Action.DENY, 5));
        assertThat(out).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aDenyIsNeverHiddenByALongerAllow() {
        List<PolicyPrefix> keys = keys(List.of(
                e(300, null, null, null, Action.DENY, 1),
                e(300, 4, 6, PortRange.single(80), Action.ALLOW, 2),
                e(301, null, 6, new PortRange(80, 90), Action.DENY, 3),
                e(301, null, 6, new PortRange(85, 95), Action.ALLOW, 4)));
        assertThat(lookup(keys, 300, 4, 6, 80).action()).isEqualTo(Action.DENY);
        assertThat(lookup(keys, 301, 4, 6, 86).action()).isEqualTo(Action.DENY);
        assertThat(lookup(keys, 301, 6, 6, 91).action()).isEqualTo(Action.ALLOW);
        assertThat(lookup(keys, 301, 6, 17, 91)).isNull();
    }

    /** Longest-prefix lookups over the keys decide exactly what the entries mean: deny wins, else allow. */
    @Test
    void keysAgreeWithEntrySemanticsOnRandomEntries() {
        Random rnd = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<PolicyEntry> entries = new ArrayList<>();
            for (int i = 0, n = 1 + rnd.nextInt(8); i < n; i++) {
                Integer fam = rnd.nextInt(3) == 0 ? null : rnd.nextBoolean() ? 4 : 6;
                Integer proto = rnd.nextInt(3) == 0 ? null : rnd.nextBoolean() ? 6 : 17;
                PortRange ports = null;
                if (proto != null && rnd.nextBoolean()) {
                    int lo = 1 + rnd.nextInt(40);
                    ports = new PortRange(lo, lo + rnd.nextInt(30));
                }
                entries.add(e(7, fam, proto, ports, rnd.nextInt(3) == 0 ? Action.DENY : Action.ALLOW, i + 1));
            }
            List<PolicyPrefix> keys = keys(entries);
            for (int fam : new int[] {4, 6}) {
                for (int proto : new int[] {6, 17, 1}) {
                    for (int port = 0; port < 75; port++) {
                        PolicyPrefix hit = lookup(keys, 7, fam, proto, port);
                        String kernel = hit == null ? "none" : hit.action() == Action.DENY ? "deny" : "allow";
                        assertThat(kernel).as("round %d fam %d proto %d port %d %s", round, fam, proto, port, entries)
                                .isEqualTo(meaning(entries, fam, proto, port));
                    }
                }
            }
        }
    }

    private static String meaning(List<PolicyEntry> entries, int fam, int proto, int port) {
        boolean allow = false;
        for (PolicyEntry e : entries) {
            boolean m = (e.family() == null || e.family() == fam) && (e.proto() == null || e.proto() == proto)
                    && (e.ports() == null || (proto != 1 && e.ports().contains(port)));
            if (m && e.action() == Action.DENY) {
                return "deny";
            }
            allow |= m;
        }
        return allow ? "allow" : "none";
    }

    /** The longest key containing the packet's, as the kernel's LPM lookup finds it; null when none. */
    static PolicyPrefix lookup(List<PolicyPrefix> keys, int identity, int fam, int proto, int port) {
        PolicyPrefix best = null;
        for (PolicyPrefix k : keys) {
            if (k.peerIdentity() == identity && contains(k, fam, proto, port) && (best == null || k.length() > best.length())) {
                best = k;
            }
        }
        return best;
    }

    private static boolean contains(PolicyPrefix k, int fam, int proto, int port) {
        int mask = (0xffff << (16 - k.portBits())) & 0xffff;
        return k.length() < PolicyPrefix.FAMILY
                || (k.family() == fam && (k.length() < PolicyPrefix.PROTO || (k.proto() == proto && ((port ^ k.port()) & mask) == 0)));
    }
}
