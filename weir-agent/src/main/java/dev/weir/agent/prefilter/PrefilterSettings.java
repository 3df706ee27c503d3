package dev.weir.agent.prefilter;

/**
 * Prefilter-wide settings of one scope.
 *
 * @param mode        denylist: what matches a deny rule drops; allowlist: only what matches an allow rule passes
 * @param ratePps     per-source packets per second, 0 for no rate limit
 * @param rateBurst   token bucket size in packets (at least 1 when rate limiting)
 * @param sampleEvery 1 in N drops becomes an event on the ring buffer; 0 for none
 * @param dryRun      the whole prefilter in dry run: every drop is counted (would-drop) and the packet passes
 * @param synProxy    TCP ports whose SYNs the prefilter answers with SYN cookies (pf_syn_ports), sorted, no
 *                    duplicates; empty: none
 * @param redirect    the redirect stage ({@code PF_CFG_REDIRECT}): passed TCP of an established, allowed connection
 *                    to a local pod goes to the pod's veth with XDP_REDIRECT (docs/prefilter-datapath.md)
 */
public record PrefilterSettings(Mode mode, long ratePps, long rateBurst, long sampleEvery, boolean dryRun,
                                java.util.List<Integer> synProxy, boolean redirect) {

    /** How unmatched traffic is treated. */
    public enum Mode { DENYLIST, ALLOWLIST }

    public static final PrefilterSettings DEFAULT = new PrefilterSettings(Mode.DENYLIST, 0, 0, 1, false);

    public PrefilterSettings {
        if (mode == null) {
            throw new IllegalArgumentException("mode must be denylist or allowlist");
        }
        check("rate limit", ratePps);
        check("burst", rateBurst);
        check("sample rate", sampleEvery);
        if (ratePps > 0 && rateBurst == 0) {
            rateBurst = ratePps;
        }
        synProxy = synProxy == null ? java.util.List.of() : synProxy.stream().distinct().sorted().toList();
        for (int p : synProxy) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("SYN proxy port " + p + " out of range 1..65535");
            }
        }
    }

    /** Without the redirect stage. */
    public PrefilterSettings(Mode mode, long ratePps, long rateBurst, long sampleEvery, boolean dryRun,
                             java.util.List<Integer> synProxy) {
        this(mode, ratePps, rateBurst, sampleEvery, dryRun, synProxy, false);
    }

    /** Without SYN proxy ports. */
    public PrefilterSettings(Mode mode, long ratePps, long rateBurst, long sampleEvery, boolean dryRun) {
        this(mode, ratePps, rateBurst, sampleEvery, dryRun, null);
    }

    /** Enforcing, not in dry run. */
    public PrefilterSettings(Mode mode, long ratePps, long rateBurst, long sampleEvery) {
        this(mode, ratePps, rateBurst, sampleEvery, false, null);
    }

    private static void check(String what, long v) {
        if (v < 0 || v > 0xffff_ffffL) {
            throw new IllegalArgumentException(what + " " + v + " out of range 0.." + 0xffff_ffffL);
        }
    }

    public PrefilterSettings withMode(Mode m) {
        return new PrefilterSettings(m, ratePps, rateBurst, sampleEvery, dryRun, synProxy, redirect);
    }

    public PrefilterSettings withRate(long pps, long burst) {
        return new PrefilterSettings(mode, pps, burst, sampleEvery, dryRun, synProxy, redirect);
    }

    public PrefilterSettings withSampleEvery(long n) {
        return new PrefilterSettings(mode, ratePps, rateBurst, n, dryRun, synProxy, redirect);
    }

    public PrefilterSettings withDryRun(boolean d) {
        return new PrefilterSettings(mode, ratePps, rateBurst, sampleEvery, d, synProxy, redirect);
    }

    public PrefilterSettings withSynProxy(java.util.List<Integer> ports) {
        return new PrefilterSettings(mode, ratePps, rateBurst, sampleEvery, dryRun, ports, redirect);
    }

    public PrefilterSettings withRedirect(boolean on) {
        return new PrefilterSettings(mode, ratePps, rateBurst, sampleEvery, dryRun, synProxy, on);
    }
}
