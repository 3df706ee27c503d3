package dev.weir.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.lab.probe.MatrixResult;
import dev.weir.testkit.Requirements;

/** {@code --nodes 1}: every pod on node1; also checks that up cleans a leftover lab first. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabOneNodeTest {

    private static Lab lab;

    @BeforeAll
    static void up() {
        Requirements.root();
        Lab.up(LabConfig.defaults(), s -> { });
        lab = Lab.up(LabConfig.defaults().withNodes(1), System.out::println);
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Lab.down(System.out::println);
        }
    }

    @Test
    void everyPodIsOnNode1AndTheOldLabIsGone() {
        assertThat(lab.model().nodes()).hasSize(1);
        assertThat(lab.interfacesOf("node1")).hasSize(10);
        assertThat(dev.weir.lab.host.Netns.labNamespaces()).doesNotContain("weir-node2").hasSize(12);
    }

    @Test
    void matrixIsAllowedOnBothFamilies() {
        for (Family f : Family.values()) {
            MatrixResult m = lab.matrix(f, PortSpec.SERVED, Lab.PROBE_TIMEOUT);
            assertThat(m.blockedCount()).as(f + ": " + m.truth()).isZero();
        }
    }

    @Test
    void extStillReachesTheOneNode() {
        assertThat(lab.probe("ext", "192.168.100.1", PortSpec.parse("UDP/80"), null, Lab.PROBE_TIMEOUT).reason())
                .isEqualTo("refused");
    }

    @Test
    @Order(Integer.MAX_VALUE)  // unannotated tests run at Order.DEFAULT, before this
    void downLeavesNothingBehind() {
        Lab.down(s -> { });
        LabLeftovers.assertNone();
    }
}
