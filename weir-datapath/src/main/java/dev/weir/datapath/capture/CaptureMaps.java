package dev.weir.datapath.capture;

import java.util.Locale;

/**
 * The capture maps of {@code bpf/lib/capture.h}, in every object that includes it ({@code tc_endpoint.o} and
 * {@code nodeport.o} share one set by pin name; {@code xdp_prefilter.o} pins its own), and the hooks a record
 * names. Constants only.
 */
public final class CaptureMaps {

    /** {@code cap_cfg[0]}: {@link CapCfg}, what to capture; all zero when off. */
    public static final String CFG = "cap_cfg";
    /** The ring buffer of {@link CapEvent}s. */
    public static final String EVENTS = "cap_events";
    /** Per-CPU {@code __u64}: {@link #STAT_SENT}, {@link #STAT_LOST}. */
    public static final String STATS = "cap_stats";
    public static final int STAT_SENT = 0;
    public static final int STAT_LOST = 1;
    /** {@code CAP_SNAP_MAX}: packet bytes a record holds at most. */
    public static final int SNAP_MAX = 1536;
    /** {@code CAP_EVENTS_BYTES}. */
    public static final int EVENTS_BYTES = 1 << 20;

    private CaptureMaps() {
    }

    /** {@code CAP_HOOK_*}: where a packet was captured; the name is the program's. */
    public enum Hook {
        PREFILTER(1, "xdp", "weir_prefilter"),
        FROM_EP(2, "tc", "weir_from_ep"),
        TO_EP(3, "tc", "weir_to_ep"),
        FROM_NETDEV(4, "tc", "weir_from_netdev");

        private final int code;
        private final String attach;
        private final String program;

        Hook(int code, String attach, String program) {
            this.code = code;
            this.attach = attach;
            this.program = program;
        }

        public int code() {
            return code;
        }

        /** {@code xdp/weir_prefilter}, {@code tc/weir_from_ep}, ... */
        public String label() {
            return attach + "/" + program;
        }

        /** The hook of a code; {@link IllegalArgumentException} for an unknown one. */
        public static Hook of(int code) {
            for (Hook h : values()) {
                if (h.code == code) {
                    return h;
                }
            }
            throw new IllegalArgumentException("unknown capture hook " + code);
        }

        /**
         * A hook as an operator names it: {@code prefilter}, {@code xdp}, {@code from-ep}, {@code to-ep},
         * {@code from-netdev} or the program's name.
         */
        public static Hook parse(String name) {
            String n = name.toLowerCase(Locale.ROOT).replace('_', '-');
            for (Hook h : values()) {
                if (n.equals(h.name().toLowerCase(Locale.ROOT).replace('_', '-'))
                        || n.equals(h.program.replace('_', '-')) || n.equals(h.label().replace('_', '-'))) {
                    return h;
                }
            }
            if (n.equals("xdp")) {
                return PREFILTER;
            }
            throw new IllegalArgumentException("unknown hook '" + name
                    + "' (expected prefilter, from-ep, to-ep or from-netdev)");
        }
    }
}
