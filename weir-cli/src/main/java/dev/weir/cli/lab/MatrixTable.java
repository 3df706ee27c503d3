package dev.weir.cli.lab;

import java.io.PrintWriter;
import java.util.Map;

import dev.weir.lab.probe.MatrixResult;

/**
 * Prints a matrix like the Kubernetes network-policy tests' truth tables: one grid per port, FROM down
 * the side, TO across the top, {@code .} allowed, {@code X} blocked, {@code -} self.
 */
final class MatrixTable {

    private MatrixTable() {
    }

    static void print(PrintWriter out, MatrixResult m) {
        int width = m.pods().stream().mapToInt(String::length).max().orElse(3);
        for (Map.Entry<String, Map<String, Map<String, Boolean>>> port : m.truth().entrySet()) {
            out.println(port.getKey() + " (IPv" + m.family().number() + ")");
            StringBuilder header = new StringBuilder(pad("", width));
            m.pods().forEach(to -> header.append("  ").append(pad(to, width)));
            out.println(header.toString().stripTrailing());
            for (String from : m.pods()) {
                StringBuilder row = new StringBuilder(pad(from, width));
                for (String to : m.pods()) {
                    Boolean allowed = port.getValue().get(from).get(to);
                    String cell = from.equals(to) ? "-" : allowed ? "." : "X";
                    row.append("  ").append(pad(cell, width));
                }
                out.println(row.toString().stripTrailing());
            }
            out.println();
        }
        long probes = m.truth().values().stream().mapToLong(r -> r.values().stream().mapToLong(Map::size).sum()).sum();
        out.println(probes + " probes, " + (probes - m.blockedCount()) + " allowed, " + m.blockedCount()
                + " blocked, in " + m.millis() + " ms");
        out.flush();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
