package dev.weir.ebpf;

/** The answer of a feature probe: supported, unsupported (what and on which kernel), or inconclusive (why). */
public sealed interface Probe permits Probe.Supported, Probe.Unsupported, Probe.Inconclusive {

    /** The feature is there. */
    record Supported() implements Probe {
    }

    /** The kernel said no. */
    record Unsupported(String feature, String kernel) implements Probe {
    }

    /** The probe could not decide, e.g. it lacked privileges or hit an unexpected error. */
    record Inconclusive(String cause) implements Probe {
    }

    default boolean isSupported() {
        return this instanceof Supported;
    }

    /** Why not, for messages and test skips; empty when supported. */
    default String reason() {
        return switch (this) {
            case Supported s -> "";
            case Unsupported u -> u.feature() + " is not supported by kernel " + u.kernel();
            case Inconclusive i -> "could not probe: " + i.cause();
        };
    }
}
