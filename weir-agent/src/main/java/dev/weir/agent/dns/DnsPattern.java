package dev.weir.agent.dns;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A DNS name pattern as {@code weir observe --fqdn} takes it, with Cilium's {@code matchPattern} meaning:
 * {@code *} alone matches every name; otherwise {@code *} matches any run of characters within one label
 * ({@code *.example.org} matches {@code www.example.org}, not {@code a.b.example.org} nor {@code example.org}).
 * Case does not matter; a trailing dot is optional on both sides. Immutable.
 */
public final class DnsPattern {

    private static final Pattern VALID = Pattern.compile("[-a-z0-9_.*]+");
    private final String text;
    private final Pattern regex;

    private DnsPattern(String text, Pattern regex) {
        this.text = text;
        this.regex = regex;
    }

    /** @throws IllegalArgumentException naming the pattern and what is wrong with it */
    public static DnsPattern parse(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (t.endsWith(".") && t.length() > 1) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.isEmpty() || !VALID.matcher(t).matches() || t.contains("..")) {
            throw new IllegalArgumentException("fqdn pattern '" + text
                    + "': letters, digits, '-', '_', '*' in labels separated by single dots, e.g. *.example.org");
        }
        if (t.equals("*")) {
            return new DnsPattern(text, Pattern.compile(".*"));
        }
        StringBuilder re = new StringBuilder();
        for (char c : t.toCharArray()) {
            re.append(c == '*' ? "[-a-z0-9_]*" : c == '.' ? "\\." : String.valueOf(c));
        }
        return new DnsPattern(text, Pattern.compile(re.toString()));
    }

    /** Whether a name (with or without its trailing dot) matches. */
    public boolean matches(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".") && n.length() > 1) {
            n = n.substring(0, n.length() - 1);
        }
        return regex.matcher(n).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
