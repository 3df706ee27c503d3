package dev.weir.agent.prefilter;

import static dev.weir.agent.prefilter.PrefilterMergeTest.on;
import static dev.weir.agent.prefilter.PrefilterMergeTest.p;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.yaml.ValidationException;

/** The lockout guard: which rules and settings would drop protected traffic, what is refused, what forces. */
class LockoutGuardTest {

    static final List<Node> NODES = List.of(new Node("node1", "weir-node1", "192.168.100.1", "fd00:192:168:100::1"),
            new Node("node2", "weir-node2", "192.168.100.2", null));
    static final LockoutGuard GUARD = LockoutGuard.of("10.0.0.0/8,udp/8472", true, "http://127.0.0.1:2379");

    private static void refused(List<WeirPrefilter> before, List<WeirPrefilter> after, String field, String... problem) {
        assertThatThrownBy(() -> GUARD.check(NODES, before, after)).isInstanceOfSatisfying(ValidationException.class, e -> {
            assertThat(e.path()).isEqualTo(field);
            assertThat(e.problem()).contains(problem).contains("--force", "spec.force: true");
        });
    }

    private static void accepted(List<WeirPrefilter> before, List<WeirPrefilter> after) {
        assertThatCode(() -> GUARD.check(NODES, before, after)).doesNotThrowAnyException();
    }

    @Test
    void entriesParseAndBadOnesAreNamed() {
        assertThat(LockoutGuard.Entry.parse("tcp/22", "x")).isEqualTo(new LockoutGuard.Entry(null, Protocol.TCP, 22, "x"));
        assertThat(LockoutGuard.Entry.parse("10.1.2.3", "x").describe()).isEqualTo("from 10.1.2.3/32");
        assertThatThrownBy(() -> LockoutGuard.Entry.parse("icmp/1", "--prefilter-protect"))
                .hasMessageContaining("--prefilter-protect: 'icmp/1' is not PROTO/PORT");
        assertThatThrownBy(() -> LockoutGuard.Entry.parse("tcp/0", "--prefilter-protect")).hasMessageContaining("port 1-65535");
        assertThatThrownBy(() -> LockoutGuard.of("10.0.0.0/33", true, null)).hasMessageContaining("'10.0.0.0/33' is neither a CIDR");
    }

    @Test
    void defaultsProtectSshTheNodesAndTheKvstore() {
        List<String> described = GUARD.entries(NODES).stream().map(e -> e.describe() + " (" + e.origin() + ")").toList();
        assertThat(described).containsExactly("from 10.0.0.0/8 (--prefilter-protect)", "to udp/8472 (--prefilter-protect)",
                "to tcp/22 (default: ssh)", "from 127.0.0.1/32 (default: kvstore endpoint http://127.0.0.1:2379)",
                "from 192.168.100.1/32 (default: node node1's address)",
                "from fd00:192:168:100::1/128 (default: node node1's address)",
                "from 192.168.100.2/32 (default: node node2's address)");
        assertThat(LockoutGuard.of(null, false, null).entries(NODES)).isEmpty();
    }

    @Test
    void aDenyRuleThatSinglesOutAProtectedSourceIsRefused() {
        refused(List.of(), List.of(p("mgmt", "rules: [{action: deny, sourceCIDRs: [10.1.0.0/16]}]")), "spec.rules",
                "rule 'deny src 10.1.0.0/16' would drop protected traffic from 10.0.0.0/8 (--prefilter-protect) on node node1");
        refused(List.of(), List.of(p("wide", "rules: [{action: deny, sourceCIDRs: [192.168.0.0/16], protocol: UDP}]")),
                "spec.rules", "from 192.168.100.1/32 (default: node node1's address)");
        accepted(List.of(), List.of(p("ext", "rules: [{action: deny, sourceCIDRs: [192.168.100.200/32, 203.0.113.0/24]}]")));
    }

    @Test
    void aDenyRuleForEverySourceIsRefusedWhenItTakesInAProtectedPort() {
        refused(List.of(), List.of(p("tcp", "rules: [{action: deny, protocol: TCP}]")), "spec.rules",
                "rule 'deny tcp' would drop protected traffic to tcp/22 (default: ssh)");
        refused(List.of(), List.of(p("range", "rules: [{action: deny, protocol: UDP, port: 8000, endPort: 9000}]")),
                "spec.rules", "to udp/8472");
        refused(List.of(), List.of(p("to-node", "rules: [{action: deny, destinationCIDRs: [192.168.100.0/24], protocol: TCP}]")),
                "spec.rules", "to tcp/22");
        accepted(List.of(), List.of(p("others", "rules: [{action: deny, protocol: TCP, port: 23, endPort: 8000},"
                + " {action: deny, destinationCIDRs: [10.244.0.0/16], protocol: TCP}, {action: deny, protocol: ICMP}]")));
    }

    @Test
    void anAllowlistMustLetEveryProtectedEntryThrough() {
        refused(List.of(), List.of(p("allow", on("node2") + "mode: allowlist\nrules: [{action: allow, protocol: TCP, port: 22}]")),
                "spec.mode", "allowlist mode would drop protected traffic from 10.0.0.0/8 (--prefilter-protect)",
                "weir prefilter add --action allow --src 10.0.0.0/8");
        accepted(List.of(), List.of(p("allow", on("node2") + "mode: allowlist\nrules: [{action: allow, protocol: TCP, port: 22},"
                + " {action: allow, protocol: UDP, port: 8472}, {action: allow, sourceCIDRs: [10.0.0.0/8, 127.0.0.0/8,"
                + " 192.168.100.0/24, 'fd00:192:168:100::/64']}]")));
    }

    @Test
    void dryRunDropsNothingAndForcedObjectsAreLetThrough() {
        accepted(List.of(), List.of(p("dry", "rules: [{action: deny, protocol: TCP, dryRun: true}]")));
        accepted(List.of(), List.of(p("dry", "dryRun: true\nrules: [{action: deny, protocol: TCP}]")));
        accepted(List.of(), List.of(p("forced", "force: true\nrules: [{action: deny, protocol: TCP}]")));
    }

    @Test
    void onlyWhatAChangeNewlyDropsIsRefusedAndTheErrorNamesTheChangedObject() {
        WeirPrefilter forced = p("forced", "force: true\nrules: [{action: deny, protocol: TCP}]");
        WeirPrefilter other = p("other", "rules: [{action: deny, sourceCIDRs: [203.0.113.0/24]}]");
        accepted(List.of(forced), List.of(forced, other));
        WeirPrefilter same = p("same", "rules: [{action: deny, protocol: TCP}]");
        accepted(List.of(forced), List.of(forced, same));   // the same rule, already dropping: nothing new
        WeirPrefilter more = p("more", "rules: [{action: deny, sourceCIDRs: [10.0.0.0/8]}]");
        assertThatThrownBy(() -> GUARD.check(NODES, List.of(forced), List.of(forced, more)))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.object()).isEqualTo("WeirPrefilter more");
                    assertThat(e.file()).isEqualTo("more.yaml");
                });
    }
}
