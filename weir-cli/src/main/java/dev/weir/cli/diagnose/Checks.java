package dev.weir.cli.diagnose;

import java.util.List;
import java.util.function.Function;

/** Every diagnose check, in the order {@code weir diagnose} shows them. Stateless. */
public final class Checks {

    /** The checks, each a pure function of the facts. */
    static final List<Function<Facts, Check>> ALL = List.of(
            ClusterChecks::agents,
            HookChecks::xdp,
            ClusterChecks::crossNode,
            ServiceChecks::services,
            PolicyChecks::dns,
            ServiceChecks::newConnections,
            ClusterChecks::cpu,
            HookChecks::verifier,
            ServiceChecks::mapPressure,
            ClusterChecks::lostEvents,
            HookChecks::foreign,
            ClusterChecks::skew);

    private Checks() {
    }

    /** Runs every check on the facts; a check that throws is reported as failed with the error. */
    public static List<Check> run(Facts facts) {
        return ALL.stream().map(c -> {
            try {
                return c.apply(facts);
            } catch (RuntimeException e) {
                return new Check("error", "a check failed to run", Check.Verdict.fail, String.valueOf(e), List.of());
            }
        }).toList();
    }
}
