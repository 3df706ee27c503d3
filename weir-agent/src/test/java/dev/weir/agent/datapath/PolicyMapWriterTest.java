package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.agent.net.PortRange;
import dev.weir.agent.policy.Action;
import dev.weir.agent.policy.Direction;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyEntry;
import dev.weir.agent.policy.PolicyPrefix;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;

/** The writer only encodes the policy package's prefixes: one {@code pol} entry each, no root needed. */
class PolicyMapWriterTest {

    private static final int IN = EndpointMaps.DIR_INGRESS;
    private static final int OUT = EndpointMaps.DIR_EGRESS;

    @Test
    void prefixLengthsArePolKeyPrefixLengths() {
        assertThat(List.of(PolicyPrefix.IDENTITY, PolicyPrefix.FAMILY, PolicyPrefix.PROTO, PolicyPrefix.PROTO + 16))
                .containsExactly(PolKey.PREFIX_IDENTITY, PolKey.PREFIX_FAMILY, PolKey.PREFIX_PROTO, PolKey.PREFIX_FULL);
    }

    @Test
    void eachPrefixBecomesOneKeyAndValue() {
        EndpointPolicy p = new EndpointPolicy(300, true, false, false, false, List.of(
                new PolicyEntry(Direction.INGRESS, 0, null, null, null, Action.ALLOW, 1),
                new PolicyEntry(Direction.INGRESS, 300, 4, null, null, Action.DENY, 2),
                new PolicyEntry(Direction.INGRESS, 301, null, 6, new PortRange(80, 81), Action.ALLOW, 3),
                new PolicyEntry(Direction.EGRESS, 0, 6, 17, null, Action.DENY, 4)));
        PolKey ipv4Tcp80 = PolKey.portPrefix(7, 1, IN, 301, 4, 6, 80, 15);
        PolKey ipv6Tcp80 = PolKey.portPrefix(7, 1, IN, 301, 6, 6, 80, 15);
        PolKey udp6 = PolKey.proto(7, 1, OUT, 0, 6, 17);
        assertThat(PolicyMapWriter.polEntries(7, 1, p)).containsExactlyInAnyOrderEntriesOf(Map.of(
                PolKey.peer(7, 1, IN, 0), PolVal.allow(PolKey.peer(7, 1, IN, 0), 1),
                PolKey.family(7, 1, IN, 300, 4), PolVal.deny(PolKey.family(7, 1, IN, 300, 4), 2),
                ipv4Tcp80, PolVal.allow(ipv4Tcp80, 3),
                ipv6Tcp80, PolVal.allow(ipv6Tcp80, 3),
                udp6, PolVal.deny(udp6, 4)));
    }
}
