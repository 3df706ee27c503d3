package dev.weir.agent.conformance;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.agent.policy.Decision.Verdict;

/**
 * Expected reachability over the netpol model, like the upstream netpol e2e {@code Reachability}: every
 * ordered pod pair (self pairs included, always allowed) times TCP/80, TCP/81, UDP/80, UDP/81, per family.
 */
public final class Reachability {

    public static final List<String> PORTS = List.of("TCP/80", "TCP/81", "UDP/80", "UDP/81");
    /** The netpol model's pods, in matrix order. */
    public static final List<String> PODS = List.of("x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c");

    /** Key {@code family from to port}. */
    private final Map<String, Verdict> cells = new TreeMap<>();

    public Reachability(Verdict initial) {
        for (int f : new int[] {4, 6}) {
            for (String from : PODS) {
                for (String to : PODS) {
                    for (String port : PORTS) {
                        cells.put(key(f, from, to, port), initial);
                    }
                }
            }
        }
    }

    static String key(int family, String from, String to, String port) {
        return family + " " + from + " " + to + " " + port;
    }

    public void expect(int family, String from, String to, String port, Verdict v) {
        cells.put(key(family, from, to, port), v);
    }

    public Verdict get(int family, String from, String to, String port) {
        if (from.equals(to)) {
            return Verdict.ALLOWED;
        }
        return cells.get(key(family, from, to, port));
    }

    /** The matrix of one family in the e2e style: rows from, columns to, one letter per port. */
    public String table(int family, java.util.function.BiFunction<String, String, String> cell) {
        StringBuilder sb = new StringBuilder("IPv" + family + " (cells: TCP/80 TCP/81 UDP/80 UDP/81; . allowed, X denied, A audit)\n     ");
        PODS.forEach(p -> sb.append(String.format("%-6s", p)));
        sb.append('\n');
        for (String from : PODS) {
            sb.append(String.format("%-5s", from));
            for (String to : PODS) {
                sb.append(String.format("%-6s", cell.apply(from, to)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    public static char letter(Verdict v) {
        return switch (v) {
            case ALLOWED -> '.';
            case DENIED -> 'X';
            case AUDIT -> 'A';
        };
    }
}
