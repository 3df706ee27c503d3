package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

/** NodePorts, LoadBalancer IPs and source ranges from ext on a lab whose agents share a real 3-member etcd. */
class EtcdNodePortLabTest extends NodePortLabTest {

    @BeforeAll
    static void up() {
        upWith(LabOptions.ETCD);
    }
}
