package dev.weir.datapath.endpoint;

import static dev.weir.datapath.endpoint.EndpointMaps.DIR_EGRESS;
import static dev.weir.datapath.endpoint.EndpointMaps.DIR_INGRESS;

import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import dev.weir.testkit.Frames;

/**
 * Shared setup of the endpoint datapath tests: two pods on the node, A (10.0.0.10, fd00::10, identity
 * 1000) and B (10.0.0.20, fd00::20, identity 2000), a third identity C (10.0.0.30) without an endpoint
 * here, a CIDR identity for 10.1.0.0/16; everything else is world.
 */
abstract class EndpointTestBase {

    static final int ID_A = 1000;
    static final int ID_B = 2000;
    static final int ID_C = 3000;
    static final int ID_CIDR = EndpointMaps.ID_FIRST_CIDR;

    static final String A4 = "10.0.0.10";
    static final String B4 = "10.0.0.20";
    static final String C4 = "10.0.0.30";
    static final String A6 = "fd00::10";
    static final String B6 = "fd00::20";
    static final String C6 = "fd00::30";
    static final String WORLD4 = "192.0.2.1";

    static final int EP_A = 10;
    static final int EP_B = 20;

    static final EpInfo A = new EpInfo(EP_A, ID_A, 0, 0);
    static final EpInfo B = new EpInfo(EP_B, ID_B, 0, 0);

    static final int IN = DIR_INGRESS;
    static final int OUT = DIR_EGRESS;

    EndpointDatapath dp;

    @BeforeEach
    void load() {
        Requirements.root();
        dp = create();
        dp.identity(A4 + "/32", ID_A);
        dp.identity(B4 + "/32", ID_B);
        dp.identity(C4 + "/32", ID_C);
        dp.identity(A6 + "/128", ID_A);
        dp.identity(B6 + "/128", ID_B);
        dp.identity(C6 + "/128", ID_C);
        dp.identity("10.1.0.0/16", ID_CIDR);
    }

    EndpointDatapath create() {
        return new EndpointDatapath();
    }

    @AfterEach
    void close() {
        if (dp != null) {
            dp.close();
        }
    }

    static EpInfo enforced(EpInfo ep, int... dirs) {
        int flags = ep.flags();
        for (int d : dirs) {
            flags |= d == DIR_EGRESS ? EpInfo.EGRESS_ENFORCED : EpInfo.INGRESS_ENFORCED;
        }
        return ep.withFlags(flags);
    }

    static EpInfo audited(EpInfo ep, int... dirs) {
        int flags = ep.flags();
        for (int d : dirs) {
            flags |= d == DIR_EGRESS ? EpInfo.EGRESS_AUDIT : EpInfo.INGRESS_AUDIT;
        }
        return ep.withFlags(flags);
    }

    /** B's ingress key for a peer, IPv4 TCP, one port. */
    static PolKey bIngressTcp4(int peer, int port) {
        return PolKey.port(EP_B, 0, IN, peer, 4, Frames.TCP, port);
    }
}
