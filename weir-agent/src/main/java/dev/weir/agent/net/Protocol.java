package dev.weir.agent.net;

import java.util.Locale;

/** IP protocols weir's rules name, with their IANA numbers. Ports exist for TCP, UDP and SCTP only. */
public enum Protocol {
    TCP(6), UDP(17), SCTP(132), ICMP(1), ICMPV6(58);

    private final int number;

    Protocol(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    public boolean hasPorts() {
        return this == TCP || this == UDP || this == SCTP;
    }

    /** Index of the protocol's block in per-port tables: TCP 0, UDP 1, SCTP 2. */
    public int portClass() {
        return switch (this) {
            case TCP -> 0;
            case UDP -> 1;
            case SCTP -> 2;
            default -> throw new IllegalStateException(this + " has no ports");
        };
    }

    /** Parses a name in any case ({@code tcp}, {@code UDP}, {@code icmpv6}, {@code icmp6}). */
    public static Protocol parse(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        if (t.equals("ICMP6")) {
            return ICMPV6;
        }
        for (Protocol p : values()) {
            if (p.name().equals(t)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + text + "' (expected tcp, udp, sctp, icmp or icmpv6)");
    }

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }
}
