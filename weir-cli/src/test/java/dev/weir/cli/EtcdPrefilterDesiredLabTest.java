package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

import dev.weir.lab.etcd.EtcdCluster;
import dev.weir.testkit.Requirements;

/** WeirPrefilter objects through the agents of a lab whose desired state lives in a real 3-member etcd. */
class EtcdPrefilterDesiredLabTest extends PrefilterDesiredLabTest {

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Requirements.require(EtcdCluster.available(), "needs Debian's etcd-server (/usr/bin/etcd; scripts/setup.sh installs it)");
        upWith(LabOptions.ETCD);
    }
}
