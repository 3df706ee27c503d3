package dev.weir.agent.prefilter;

/**
 * How much the loaded prefilter maps hold; a rule set that does not fit is refused before anything is
 * written.
 *
 * @param prefixes entries in each LPM trie (pf_src4/pf_src6/pf_dst4/pf_dst6)
 * @param rules    entries in pf_hits: rule ids must be below this
 */
public record Capacity(int prefixes, int rules) {
    public static final int SLOTS = 64;
    public static final Capacity DEFAULT = new Capacity(65536, 65536);

    public Capacity {
        if (prefixes < 1 || rules < 2) {
            throw new IllegalArgumentException("capacity must be positive: prefixes=" + prefixes + ", rules=" + rules);
        }
    }
}
