package dev.weir.agent.conformance;

import java.nio.file.Path;
import java.util.Set;

/**
 * One conformance case: policies (YAML, as {@code weir apply -f} takes them) and the expected
 * reachability written by hand from the Kubernetes semantics (see docs/conformance.md).
 *
 * @param families the families the expectation holds for (4, or 4 and 6)
 */
public record ConformanceCase(String name, String description, Set<Integer> families, Path policies,
                              Reachability expected) {
    @Override
    public String toString() {
        return name;
    }
}
