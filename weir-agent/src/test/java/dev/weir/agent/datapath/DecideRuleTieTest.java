package dev.weir.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.policy.Decision;
import dev.weir.agent.policy.NetpolCluster;
import dev.weir.agent.policy.Party;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.testkit.Frames;

/**
 * Found by {@link JavaSaysKernelDoesTest}'s random sets: two allow entries of one lookup that match a port
 * at the same prefix length are one {@code pol} key, and the writer keeps the lower rule id; the engine's
 * {@code decide} must name that rule too, not whichever entry sorts first. No root needed.
 */
class DecideRuleTieTest {

    private static final String POLICY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: a-udp, namespace: x}
            spec:
              podSelector:
                matchLabels: {pod: a}
              ingress:
              - ports: [{protocol: UDP, port: 81, endPort: 1000}]
              - ports: [{protocol: UDP, port: 81}]
            """;

    @Test
    void decideNamesTheRuleTheWriterKeepsForASharedKey() {
        PolicyResult r = new PolicyEngine().resolve(NetpolCluster.snapshot(new PolicyParser().parse(POLICY, "tie.yaml")),
                new InMemoryIdentityAllocator());
        int xa = NetpolCluster.id("x/a");
        Map<PolKey, PolVal> written = PolicyMapWriter.polEntries(xa, 0, r.endpoint(xa));
        PolVal udp81 = written.get(PolKey.port(xa, 0, EndpointMaps.DIR_INGRESS, 0, 4, Frames.UDP, 81));
        assertThat(udp81).isNotNull();
        assertThat(udp81.rule()).as("the writer keeps the lower rule of the shared key").isEqualTo(1);

        Decision d = new PolicyEngine().decide(r, Party.endpoint(NetpolCluster.id("y/b")), Party.endpoint(xa), Frames.UDP, 81, 4);
        assertThat(d.ingress()).isEqualTo(new Decision.Hook(Decision.Verdict.ALLOWED, Decision.Reason.PASS_POLICY, 1));
        assertThat(List.of(d.verdict(), d.rule())).containsExactly(Decision.Verdict.ALLOWED, 1);
    }
}
