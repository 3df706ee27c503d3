package dev.weir.agent.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an endpoint's entries into the keys of its {@code pol} LPM trie (docs/policy-datapath.md): a port
 * range into the aligned blocks of {@link PortBlocks#split}, a null family with a protocol into one key per
 * family (the key orders family before protocol). Entries that give one key a verdict each (say ports 81-1000
 * and port 81) leave it the verdict {@link Precedence} keeps. The entries are expected as the engine gives
 * them, deny propagation done, so that a longest match carries the verdict. Stateless; throws nothing for
 * valid entries.
 */
public final class PolicyPrefixes {

    private static final List<Integer> BOTH = List.of(4, 6);

    private PolicyPrefixes() {
    }

    /** Every entry's prefixes, one per key, sorted. */
    public static List<PolicyPrefix> of(List<PolicyEntry> entries) {
        Map<Key, PolicyPrefix> byKey = new HashMap<>();
        for (PolicyEntry e : entries) {
            for (PolicyPrefix p : expand(e)) {
                byKey.merge(Key.of(p), p, (a, b) -> Precedence.keeps(a.action(), a.rule(), b.action(), b.rule()) ? a : b);
            }
        }
        List<PolicyPrefix> out = new ArrayList<>(byKey.values());
        out.sort(null);
        return List.copyOf(out);
    }

    /** One entry's prefixes, with its action and rule, in key order. */
    public static List<PolicyPrefix> expand(PolicyEntry e) {
        if (e.proto() == null) {
            return List.of(prefix(e, e.family() == null ? 0 : e.family(), 0, 0, e.prefixLength(0)));
        }
        List<PolicyPrefix> out = new ArrayList<>();
        for (int family : e.family() == null ? BOTH : List.of(e.family())) {
            if (e.ports() == null) {
                out.add(prefix(e, family, e.proto(), 0, PolicyPrefix.PROTO));
                continue;
            }
            for (PortBlocks.Block b : PortBlocks.split(e.ports())) {
                out.add(prefix(e, family, e.proto(), b.first(), PolicyPrefix.PROTO + b.bits()));
            }
        }
        return out;
    }

    private static PolicyPrefix prefix(PolicyEntry e, int family, int proto, int port, int length) {
        return new PolicyPrefix(e.dir(), e.peerIdentity(), family, proto, port, length, e.action(), e.rule());
    }

    /** A prefix's key: everything but action and rule. */
    private record Key(Direction dir, int identity, int family, int proto, int port, int length) {
        static Key of(PolicyPrefix p) {
            return new Key(p.dir(), p.peerIdentity(), p.family(), p.proto(), p.port(), p.length());
        }
    }
}
