package dev.weir.lab.model;

/**
 * A pod's name within its namespace, written {@code ns/pod}.
 *
 * @param namespace the (Kubernetes) namespace, e.g. {@code x}
 * @param name the pod, e.g. {@code a}
 */
public record PodRef(String namespace, String name) implements Comparable<PodRef> {

    public PodRef {
        if (!valid(namespace) || !valid(name)) {
            throw new IllegalArgumentException("invalid pod name '" + namespace + "/" + name
                    + "' (lower-case letters, digits and '-')");
        }
    }

    /**
     * Parses {@code ns/pod}.
     *
     * @throws IllegalArgumentException when the text is not of that form
     */
    public static PodRef parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("'" + text + "' is not NS/POD (e.g. x/a)");
        }
        return new PodRef(text.substring(0, slash), text.substring(slash + 1));
    }

    /** True when the text looks like {@code ns/pod} (rather than an address or {@code ext}). */
    public static boolean looksLike(String text) {
        int slash = text.indexOf('/');
        return slash > 0 && slash == text.lastIndexOf('/') && text.indexOf(':') < 0 && text.indexOf('.') < 0;
    }

    /** {@code ns-pod}: the pod's key in file and cgroup names. */
    public String key() {
        return namespace + "-" + name;
    }

    @Override
    public int compareTo(PodRef o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }

    private static boolean valid(String s) {
        return s != null && !s.isEmpty() && s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    }
}
