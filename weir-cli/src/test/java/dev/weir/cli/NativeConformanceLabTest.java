package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

/**
 * The NetworkPolicy conformance suite with native routing between the nodes (weir's routes per remote pod via its
 * node, no tunnel): the suite of {@link ConformanceLabTest}, which the default lab runs in tunnel mode.
 */
class NativeConformanceLabTest extends ConformanceLabTest {

    @BeforeAll
    static void up() {
        upWith("--routing", "native");
    }
}
