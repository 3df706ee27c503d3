package dev.weir.agent.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.weir.agent.policy.Decision.Verdict;

/**
 * Loads the conformance case library: one directory per case under {@code conformance/} at the root of
 * the repository, holding {@code policies.yaml} and {@code expect.txt}. The expect format is documented in
 * docs/conformance.md. Stateless.
 */
public final class ConformanceCases {

    private ConformanceCases() {
    }

    /**
     * The repository's case library: the {@code conformance/} directory of the checkout, found from the
     * working directory upwards (Maven runs tests in a module directory).
     *
     * @throws IllegalStateException when no such directory is found
     */
    public static List<ConformanceCase> load() {
        return load(root());
    }

    /** The {@code conformance/} directory of the checkout, from the working directory upwards. */
    public static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path c = p.resolve("conformance");
            if (Files.isDirectory(c) && Files.exists(p.resolve("pom.xml"))) {
                return c;
            }
        }
        throw new IllegalStateException("no conformance/ directory above " + Path.of("").toAbsolutePath());
    }

    /** The cases below a directory (e.g. {@code weir-agent/src/test/resources/conformance}), by name. */
    public static List<ConformanceCase> load(Path root) {
        try (Stream<Path> dirs = Files.list(root)) {
            List<ConformanceCase> out = new ArrayList<>();
            for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                out.add(loadCase(d));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ConformanceCase loadCase(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("expect.txt"));
        String description = "";
        Set<Integer> families = new TreeSet<>(Set.of(4));
        Reachability r = null;
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                if (line.startsWith("description:")) {
                    description = line.substring(12).strip();
                } else if (line.startsWith("families:")) {
                    families = new TreeSet<>();
                    for (String f : line.substring(9).strip().split("\\s+")) {
                        families.add(Integer.parseInt(f));
                    }
                } else if (line.startsWith("default:")) {
                    r = new Reachability(verdict(line.substring(8).strip()));
                } else {
                    if (r == null) {
                        r = new Reachability(Verdict.ALLOWED);
                    }
                    apply(r, line);
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(dir.resolve("expect.txt") + ":" + n + ": " + e.getMessage(), e);
            }
        }
        return new ConformanceCase(dir.getFileName().toString(), description, families, dir.resolve("policies.yaml"),
                r == null ? new Reachability(Verdict.ALLOWED) : r);
    }

    /** {@code FROM -> TO [PORTS] VERDICT [@F]}, {@code to TO …}, {@code from FROM …}. */
    private static void apply(Reachability r, String line) {
        List<String> t = new ArrayList<>(List.of(line.split("\\s+")));
        Integer onlyFamily = null;
        if (t.getLast().startsWith("@")) {
            onlyFamily = Integer.parseInt(t.removeLast().substring(1));
        }
        String from;
        String to;
        int i;
        if (t.get(0).equals("to")) {
            from = "*";
            to = t.get(1);
            i = 2;
        } else if (t.get(0).equals("from")) {
            from = t.get(1);
            to = "*";
            i = 2;
        } else if (t.size() > 2 && t.get(1).equals("->")) {
            from = t.get(0);
            to = t.get(2);
            i = 3;
        } else {
            throw new IllegalArgumentException("expected 'FROM -> TO', 'to TO' or 'from FROM': " + line);
        }
        String ports = t.size() - i == 2 ? t.get(i) : "*";
        if (t.size() - i > 2 || t.size() - i < 1) {
            throw new IllegalArgumentException("expected [PORTS] VERDICT after the pods: " + line);
        }
        Verdict v = verdict(t.getLast());
        for (int f : new int[] {4, 6}) {
            if (onlyFamily != null && onlyFamily != f) {
                continue;
            }
            for (String a : Reachability.PODS) {
                for (String b : Reachability.PODS) {
                    for (String p : Reachability.PORTS) {
                        if (matches(from, a, "ns/pod") && matches(to, b, "ns/pod") && matches(ports, p, "PROTO/PORT")) {
                            r.expect(f, a, b, p, v);
                        }
                    }
                }
            }
        }
    }

    /** True when one of the comma-separated {@code a/b} patterns ({@code *} for any part) matches {@code value}. */
    private static boolean matches(String patterns, String value, String form) {
        String[] v = value.split("/");
        for (String pat : patterns.split(",")) {
            String[] pp = pat.equals("*") ? new String[] {"*", "*"} : pat.split("/");
            if (pp.length != 2) {
                throw new IllegalArgumentException("bad pattern '" + pat + "' (" + form + ", * allowed)");
            }
            if ((pp[0].equals("*") || pp[0].equals(v[0])) && (pp[1].equals("*") || pp[1].equals(v[1]))) {
                return true;
            }
        }
        return false;
    }

    public static Verdict verdict(String s) {
        return switch (s) {
            case "allow" -> Verdict.ALLOWED;
            case "deny" -> Verdict.DENIED;
            case "audit" -> Verdict.AUDIT;
            default -> throw new IllegalArgumentException("unknown verdict '" + s + "' (allow, deny or audit)");
        };
    }
}
