package dev.weir.agent.net;

/**
 * An inclusive range of L4 ports, 1..65535.
 *
 * @param first lowest port
 * @param last  highest port, at least {@code first}
 */
public record PortRange(int first, int last) {

    public PortRange {
        if (first < 1 || first > 65535 || last < 1 || last > 65535) {
            throw new IllegalArgumentException("port out of range 1..65535: " + (first == last ? first : first + "-" + last));
        }
        if (last < first) {
            throw new IllegalArgumentException("invalid port range " + first + "-" + last + ": end before start");
        }
    }

    public static PortRange single(int port) {
        return new PortRange(port, port);
    }

    /** Parses {@code 53} or {@code 8000-8080} (also {@code 8000:8080}, as iptables writes it). */
    public static PortRange parse(String text) {
        String t = text.strip();
        String[] parts = t.split("[-:]", -1);
        if (parts.length > 2) {
            throw new IllegalArgumentException("invalid port '" + text + "': expected N or N-M");
        }
        int a = number(parts[0], text);
        int b = parts.length == 2 ? number(parts[1], text) : a;
        return new PortRange(a, b);
    }

    private static int number(String s, String text) {
        if (!s.matches("\\d{1,5}")) {
            throw new IllegalArgumentException("invalid port '" + text + "': '" + s + "' is not a number");
        }
        return Integer.parseInt(s);
    }

    public int size() {
        return last - first + 1;
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    @Override
    public String toString() {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }
}
