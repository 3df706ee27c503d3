package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

/** NodePorts, LoadBalancer IPs and source ranges from ext with native routing between the nodes; the default tunnels. */
class NativeNodePortLabTest extends NodePortLabTest {

    @BeforeAll
    static void up() {
        upWith("--routing", "native");
    }
}
