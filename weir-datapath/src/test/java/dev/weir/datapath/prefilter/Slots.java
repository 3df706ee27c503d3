package dev.weir.datapath.prefilter;

import java.util.Arrays;

/** Builds a {@link PfCfg} slot by slot, the way the control plane would (test helper). */
final class Slots {

    enum Side { NONE, SRC, DST }

    private long needSrc;
    private long needDst;
    private long needL4;
    private long deny;
    private long allow;
    private long active;
    private int mode = PfCfg.DENYLIST;
    private int ratePps;
    private int rateBurst;
    private int sampleEvery;
    private final int[] slotRule = new int[PfCfg.SLOTS];
    private PfCfg.Nets nets = PfCfg.Nets.NONE;
    private long dry;
    private int flags;

    Slots() {
        Arrays.fill(slotRule, PfFragVal.RULE_NONE);
    }

    Slots deny(int slot, Side side, boolean l4, int rule) {
        deny |= 1L << slot;
        return slot(slot, side, l4, rule);
    }

    /** A deny slot in dry run: counted, not dropped. */
    Slots dryDeny(int slot, Side side, boolean l4, int rule) {
        dry |= 1L << slot;
        return deny(slot, side, l4, rule);
    }

    /** The whole prefilter in dry run. */
    Slots dryRun() {
        flags |= PfCfg.DRY_RUN;
        return this;
    }

    /** pf_cfg.flags bits ({@link PfCfg#REDIRECT}, ...) besides the ones set above. */
    Slots flags(int bits) {
        flags |= bits;
        return this;
    }

    Slots allow(int slot, Side side, boolean l4, int rule) {
        allow |= 1L << slot;
        return slot(slot, side, l4, rule);
    }

    private Slots slot(int slot, Side side, boolean l4, int rule) {
        long bit = 1L << slot;
        active |= bit;
        if (side == Side.SRC) {
            needSrc |= bit;
        } else if (side == Side.DST) {
            needDst |= bit;
        }
        if (l4) {
            needL4 |= bit;
        }
        slotRule[slot] = rule;
        return this;
    }

    Slots allowlist() {
        mode = PfCfg.ALLOWLIST;
        return this;
    }

    Slots rate(int pps, int burst) {
        ratePps = pps;
        rateBurst = burst;
        return this;
    }

    Slots sampleEvery(int n) {
        sampleEvery = n;
        return this;
    }

    /** Prefix lengths in the hash maps and tries known empty (default: none hashed, every trie walked). */
    Slots nets(PfCfg.Nets n) {
        nets = n;
        return this;
    }

    PfCfg build() {
        return new PfCfg(needSrc, needDst, needL4, deny, allow, active, mode, ratePps, rateBurst, sampleEvery, slotRule, nets,
                dry, flags);
    }
}
