package dev.weir.cli;

import org.junit.jupiter.api.BeforeAll;

/**
 * The NetworkPolicy conformance suite on a three-node lab whose agents share a real 3-member etcd: each agent
 * reads only its own pods from the lab and learns every other node and endpoint from the others' records in
 * etcd; {@code weir apply} commits to etcd and waits on the node records.
 */
class EtcdConformanceLabTest extends ConformanceLabTest {

    @BeforeAll
    static void up() {
        upWith(LabOptions.etcd("--nodes", "3"));
    }
}
