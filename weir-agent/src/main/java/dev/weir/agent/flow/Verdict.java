package dev.weir.agent.flow;

/** A flow's verdict, named as Hubble names them. */
public enum Verdict {
    VERDICT_UNKNOWN, FORWARDED, DROPPED, AUDIT, TRACED, TRANSLATED;

    /** From the datapath's code (1 FORWARDED, 2 DROPPED, 3 AUDIT, 4 TRACED, 5 TRANSLATED by the socket LB). */
    public static Verdict of(int code) {
        return switch (code) {
            case 1 -> FORWARDED;
            case 2 -> DROPPED;
            case 3 -> AUDIT;
            case 4 -> TRACED;
            case 5 -> TRANSLATED;
            default -> VERDICT_UNKNOWN;
        };
    }
}
