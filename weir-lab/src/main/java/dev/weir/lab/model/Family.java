package dev.weir.lab.model;

/** An IP address family, named by its number on the command line ({@code --family 4|6}). */
public enum Family {
    IPV4(4), IPV6(6);

    private final int number;

    Family(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /**
     * The family numbered 4 or 6.
     *
     * @throws IllegalArgumentException for any other number
     */
    public static Family of(int number) {
        return switch (number) {
            case 4 -> IPV4;
            case 6 -> IPV6;
            default -> throw new IllegalArgumentException("address family must be 4 or 6, not " + number);
        };
    }

    /** The family of a textual IP address: IPv6 when it contains a colon. */
    public static Family ofAddress(String address) {
        return address.indexOf(':') >= 0 ? IPV6 : IPV4;
    }
}
