package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

import dev.weir.testkit.Requirements;

/** The ClusterIP lab tests (TC path) with native routing between the nodes; the default lab tunnels. */
class NativeServiceLabTest extends ServiceLabTest {

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        lab = labWith(SERVICE, "--socket-lb", "off", "--routing", "native");
    }
}
