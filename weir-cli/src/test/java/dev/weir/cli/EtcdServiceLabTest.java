package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

import dev.weir.testkit.Requirements;

/** The ClusterIP lab tests on a lab whose agents share a real 3-member etcd (service ids allocated in etcd). */
class EtcdServiceLabTest extends ServiceLabTest {

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        lab = labWith(SERVICE, LabOptions.etcd("--socket-lb", "off"));
    }
}
