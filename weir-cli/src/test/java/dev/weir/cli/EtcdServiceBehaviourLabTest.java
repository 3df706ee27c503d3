package dev.weir.cli;

import java.io.IOException;

import org.junit.jupiter.api.BeforeAll;

/** Spread, affinity, draining, Maglev and quarantine on a lab whose agents share a real 3-member etcd. */
class EtcdServiceBehaviourLabTest extends ServiceBehaviourLabTest {

    @BeforeAll
    static void up() throws IOException {
        upWith(LabOptions.ETCD);
    }
}
