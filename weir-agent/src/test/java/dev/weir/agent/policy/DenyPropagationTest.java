package dev.weir.agent.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.PortRange;

class DenyPropagationTest {

    static PolicyEntry e(int id, Integer fam, Integer proto, PortRange ports, Action a, int rule) {
        return new PolicyEntry(Direction.INGRESS, id, fam, proto, ports, a, rule);
    }

    @Test
    void aBroadDenyRewritesTheNarrowAllowItCovers() {
        var out = DenyPropagation.apply(List.of(e(300, null, 6, PortRange.single(80), Action.ALLOW, 1),
                e(300, null, null, null, Action.DENY, 2)));
        assertThat(out).containsExactly(e(300, null, null, null, Action.DENY, 2), e(300, null, 6, PortRange.single(80), Action.DENY, 2));
    }

    @Test
    void aDenyInsideARangeSplitsIt() {
        var out = DenyPropagation.apply(List.of(e(300, null, 6, new PortRange(80, 90), Action.ALLOW, 1),
                e(300, 4, 6, new PortRange(85, 100), Action.DENY, 2)));
        assertThat(out).containsExactlyInAnyOrder(
                e(300, 6, 6, new PortRange(80, 90), Action.ALLOW, 1),
                e(300, 4, 6, new PortRange(80, 84), Action.ALLOW, 1),
                e(300, 4, 6, new PortRange(85, 90), Action.DENY, 2),
                e(300, 4, 6, new PortRange(85, 100), Action.DENY, 2));
    }

    @Test
    void aMoreSpecificDenyOrAnotherPeerNeedsNothing() {
        var in = List.of(e(300, null, null, null, Action.ALLOW, 1), e(300, 4, 17, PortRange.single(53), Action.DENY, 2),
                e(301, null, 6, null, Action.ALLOW, 3));
        assertThat(DenyPropagation.apply(in)).containsExactlyInAnyOrderElementsOf(in);
    }
}
