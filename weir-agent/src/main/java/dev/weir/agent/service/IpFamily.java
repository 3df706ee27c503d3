package dev.weir.agent.service;

/** An IP family as the Kubernetes API spells it ({@code IPv4}, {@code IPv6}). */
public enum IpFamily {
    IPV4("IPv4", 4), IPV6("IPv6", 16);

    private final String api;
    private final int bytes;

    IpFamily(String api, int bytes) {
        this.api = api;
        this.bytes = bytes;
    }

    /** The API's spelling. */
    public String api() {
        return api;
    }

    /** Address length in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Parses {@code IPv4} / {@code IPv6}; null for anything else. */
    static IpFamily fromApi(String text) {
        for (IpFamily f : values()) {
            if (f.api.equals(text)) {
                return f;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return api;
    }
}
