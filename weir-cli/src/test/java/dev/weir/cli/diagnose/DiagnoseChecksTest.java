package dev.weir.cli.diagnose;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

/**
 * Each diagnose check on fixed facts: a healthy two-node cluster passes every check, and each fault the check is
 * about turns it to warn or fail with evidence naming what is wrong.
 */
class DiagnoseChecksTest {

    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

    @Test
    void aHealthyClusterPassesEveryCheck() {
        List<Check> checks = Checks.run(healthy());
        assertThat(checks).extracting(Check::id).containsExactly("agents", "xdp-drops", "cross-node", "services",
                "dns-egress", "new-connections", "agent-cpu", "kernel-features", "map-pressure", "lost-events",
                "foreign-programs", "skew");
        assertThat(checks).allSatisfy(c -> assertThat(c.verdict()).as(c.toString()).isEqualTo(Check.Verdict.ok));
        assertThat(DiagnoseCommand.summary(checks)).containsEntry("ok", 12L).containsEntry("fail", 0L);
    }

    @Test
    void aDownAgentFailsAgentsAndCrossNode() {
        Facts f = with(healthy(), agents -> List.of(agents.get(0), Facts.Agent.down("node2", "connection refused")));
        assertThat(ClusterChecks.agents(f).verdict()).isEqualTo(Check.Verdict.fail);
        Check cross = ClusterChecks.crossNode(f);
        assertThat(cross.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(cross.summary()).contains("node2", "agent down", "connection refused");
        assertThat(ClusterChecks.agents(with(healthy(), a -> List.of())).summary()).contains("no agent runs");
    }

    @Test
    void prefilterDropsAndForeignXdpExplainWhatTcpdumpMisses() {
        Facts dropping = withAgent(healthy(), 0, a -> agent(a, new Facts.Prefilter(Map.of("eth0", "native"),
                Map.of("DENY_SRC", 12L)), a.services(), a.lbFrontends(), a.pods()));
        Check c = HookChecks.xdp(dropping);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(c.summary()).contains("node1", "dropped 12 packets");
        Facts foreign = withHooks(healthy(), new Facts.Hook("node1", "weir-node1", "lxc-x-a", "xdp/generic", 99,
                "xdpfilt_dny_all", false, true));
        assertThat(HookChecks.xdp(foreign).summary()).contains("lxc-x-a", "foreign XDP program 99 xdpfilt_dny_all");
        Check f = HookChecks.foreign(foreign);
        assertThat(f.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(f.summary()).contains("node1: lxc-x-a xdp/generic: program 99 xdpfilt_dny_all was not attached by weir");
    }

    @Test
    void programsOnInterfacesWeirDoesNotUseAreNotForeign() {
        Facts f = withHooks(healthy(), new Facts.Hook("node1", "weir-node1", "dummy0", "tcx/ingress", 98, "other", false, false));
        assertThat(HookChecks.foreign(f).verdict()).isEqualTo(Check.Verdict.ok);
        assertThat(HookChecks.foreign(with(healthy(), a -> a, List.of())).verdict()).isEqualTo(Check.Verdict.skipped);
    }

    @Test
    void aMissingRouteOrMtuMismatchFailsCrossNode() {
        Facts h = healthy();
        List<Facts.Route> routes = new ArrayList<>(h.routes());
        routes.set(0, new Facts.Route("node1", "x/b", "node2", "10.244.1.20", null));
        Facts noRoute = new Facts(h.cliVersion(), NOW, h.agents(), h.records(), h.hooks(), routes, h.mtus(), h.needs(), h.maps());
        Check c = ClusterChecks.crossNode(noRoute);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(c.summary()).isEqualTo("node1 has no route to 10.244.1.20 (x/b on node2)");
        List<Facts.Mtu> mtus = List.of(new Facts.Mtu("node1", "eth0", 1500, true), new Facts.Mtu("node2", "eth0", 1400, true),
                new Facts.Mtu("node1", "lxc-x-a", 1500, false));
        Facts mtu = new Facts(h.cliVersion(), NOW, h.agents(), h.records(), h.hooks(), h.routes(), mtus, h.needs(), h.maps());
        Check m = ClusterChecks.crossNode(mtu);
        assertThat(m.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(m.evidence()).anySatisfy(e -> assertThat(e).contains("underlay MTUs differ"))
                .anySatisfy(e -> assertThat(e).contains("lxc-x-a MTU 1500 is above the underlay's 1400"));
    }

    @Test
    void oneNodeSkipsCrossNode() {
        Facts f = with(healthy(), a -> List.of(agent(a.get(0), Facts.Prefilter.NONE, List.of(), List.of(),
                List.of(pod("x/a", "node1", true, List.of(), false)))));
        Check c = ClusterChecks.crossNode(f);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.skipped);
        assertThat(c.summary()).contains("one node");
    }

    @Test
    void aFrontendMissingFromTheMapsFailsAndNoActiveBackendWarns() {
        Facts.Service web = new Facts.Service("x/web", "10.96.0.10:80", "TCP", List.of("10.244.1.10:80 active (x/a)"));
        Facts.Service v6 = new Facts.Service("x/web", "fd00:10:96::a:80", "TCP", List.of("[fd00:10:244:1::10]:80 quarantined (x/a)"));
        Facts inMaps = withAgent(healthy(), 0, a -> agent(a, a.prefilter(), List.of(web, v6),
                List.of("10.96.0.10:80/TCP", "[fd00:10:96::a]:80/TCP"), a.pods()));
        Check c = ServiceChecks.services(inMaps);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(c.summary()).contains("[fd00:10:96::a]:80/TCP has no active backend");
        Facts missing = withAgent(healthy(), 0, a -> agent(a, a.prefilter(), List.of(web), List.of("10.96.0.99:53/UDP"), a.pods()));
        Check m = ServiceChecks.services(missing);
        assertThat(m.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(m.evidence()).anySatisfy(e -> assertThat(e).contains("10.96.0.10:80/TCP is in the agent's view but not in lb_svc"))
                .anySatisfy(e -> assertThat(e).contains("lb_svc holds 10.96.0.99:53/UDP, which no stored Service gives"));
        assertThat(ServiceChecks.frontendKey("fd00:10:96::a:80", "tcp")).isEqualTo("[fd00:10:96::a]:80/TCP");
    }

    @Test
    void aPodCgroupWithoutWeirsConnectHookWarnsWhenTheSocketLbIsOn() {
        Facts.Pod withCgroup = new Facts.Pod("x/c", "node1", true, "lxc-x-c", "/sys/fs/cgroup/weir-lab/x-c", null, null,
                false, List.of());
        Facts f = withAgent(healthy(), 0, a -> agent(a, a.prefilter(), a.services(), a.lbFrontends(), List.of(withCgroup)));
        Check c = ServiceChecks.services(f);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(c.summary()).contains("x/c's cgroup /sys/fs/cgroup/weir-lab/x-c has no connect4 hook of weir's");
        Facts hooked = withHooks(f, new Facts.Hook("node1", null, "/sys/fs/cgroup/weir-lab/x-c", "cgroup/cgroup_inet4_connect",
                13, "weir_connect4", true, true));
        assertThat(ServiceChecks.services(hooked).verdict()).as(ServiceChecks.services(hooked).toString()).isEqualTo(Check.Verdict.ok);
    }

    @Test
    void podsWithEgressEnforcedAndNoDnsAllowWarn() {
        Facts.Entry http = new Facts.Entry("EGRESS", 300, null, 6, "80", "ALLOW", "NetworkPolicy x/web spec.egress[0]");
        Facts.Entry udp53 = new Facts.Entry("EGRESS", 0, null, 17, "53", "ALLOW", "NetworkPolicy x/dns spec.egress[0]");
        Facts.Entry anyPort = new Facts.Entry("EGRESS", 5, 4, null, null, "ALLOW", "NetworkPolicy x/all spec.egress[0]");
        Facts.Entry denyDns = new Facts.Entry("EGRESS", 0, null, 17, "1-100", "DENY", "WeirNetworkPolicy x/no spec.egressDeny[0]");
        Facts f = withAgent(healthy(), 0, a -> agent(a, a.prefilter(), a.services(), a.lbFrontends(), List.of(
                pod("x/a", "node1", true, List.of(http), true),
                pod("x/c", "node1", true, List.of(udp53), true),
                pod("y/a", "node1", true, List.of(anyPort), true),
                pod("z/a", "node1", true, List.of(anyPort, denyDns), true),
                pod("x/b", "node2", false, List.of(), true))));
        Check c = PolicyChecks.dns(f);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(c.evidence()).contains("WARN: egress is enforced and no rule allows DNS (UDP/53) for x/a, z/a",
                "WARN: UDP/53 is allowed but TCP/53 (large answers) is not for x/c");
        assertThat(c.evidence()).noneSatisfy(e -> assertThat(e).startsWith("x/b"));
        assertThat(PolicyChecks.allows(List.of(anyPort), PolicyChecks.TCP)).isTrue();
        assertThat(PolicyChecks.allows(List.of(new Facts.Entry("INGRESS", 0, null, 17, "53", "ALLOW", "")), PolicyChecks.UDP)).isFalse();
    }

    @Test
    void aFullConntrackOrCtInsertionDropsFailNewConnections() {
        Facts full = withAgent(healthy(), 1, a -> ct(a, 64000, 65536, Map.of()));
        Check c = ServiceChecks.newConnections(full);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(c.summary()).contains("node2: conntrack is 98% full");
        Facts drops = withAgent(healthy(), 0, a -> ct(a, 10, 65536, Map.of("CT_MAP_INSERTION_FAILED", 3.0, "POLICY_DENIED", 9.0)));
        assertThat(ServiceChecks.newConnections(drops).summary()).contains("node1: 3 new connections dropped");
        assertThat(ServiceChecks.newConnections(withAgent(healthy(), 0, a -> ct(a, 53000, 65536, Map.of()))).verdict())
                .isEqualTo(Check.Verdict.warn);
    }

    @Test
    void busyAgentsAndSlowSyncsWarn() {
        Facts busy = withAgent(healthy(), 0, a -> new Facts.Agent(a.node(), true, null, a.netns(), a.version(), a.pid(),
                a.startedAt(), 0, 0, a.serviceLb(), 1.7, 900, Map.of("compile", 30.0, "dataplane", 1.0), 10, a.pressure(),
                a.drops(), a.ctEntries(), a.ctCapacity(), a.pods(), a.services(), a.lbFrontends(), a.prefilter()));
        Check c = ClusterChecks.cpu(busy);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(c.evidence()).contains("WARN: node1: the agent used 1.70 cores over the sample",
                "WARN: node1: the sync's compile step takes 3.00 s on average");
    }

    @Test
    void anUnsupportedRequiredFeatureFailsAndAnOptionalOneWarns() {
        Facts h = healthy();
        List<Facts.Need> needs = new ArrayList<>(h.needs());
        needs.add(new Facts.Need("tc_endpoint", "map ringbuf", true, "unsupported", "ringbuf not in kernel 5.4"));
        needs.add(new Facts.Need("sock_lb", "cgroup getpeername hooks", false, "unsupported", "not in kernel 5.4"));
        Check c = HookChecks.verifier(new Facts(h.cliVersion(), NOW, h.agents(), h.records(), h.hooks(), h.routes(), h.mtus(), needs, h.maps()));
        assertThat(c.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(c.evidence()).contains("FAIL: tc_endpoint needs map ringbuf: unsupported (ringbuf not in kernel 5.4)",
                "WARN: sock_lb needs cgroup getpeername hooks: unsupported (not in kernel 5.4); weir falls back");
    }

    @Test
    void fullMapsFailAndLruMapsOnlyWarn() {
        Facts h = healthy();
        List<Facts.MapFill> maps = List.of(new Facts.MapFill("node1", "ipcache", "lpm_trie", 65000, 65536),
                new Facts.MapFill("node1", "ct", "lru_hash", 65536, 65536));
        Facts f = new Facts(h.cliVersion(), NOW, h.agents(), h.records(), h.hooks(), h.routes(), h.mtus(), h.needs(), maps);
        Check c = ServiceChecks.mapPressure(f);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.fail);
        assertThat(c.evidence()).contains("FAIL: node1: ipcache 65000/65536 is 99% full: inserts fail",
                "WARN: node1: ct 65536/65536 is 100% full: an LRU map evicts its oldest entries");
        Facts pressure = withAgent(h, 1, a -> new Facts.Agent(a.node(), true, null, a.netns(), a.version(), a.pid(), a.startedAt(),
                0, 0, a.serviceLb(), a.cpuCores(), a.cpuSeconds(), a.syncSeconds(), a.syncCount(), Map.of("lb_backend", 0.85),
                a.drops(), a.ctEntries(), a.ctCapacity(), a.pods(), a.services(), a.lbFrontends(), a.prefilter()));
        assertThat(ServiceChecks.mapPressure(pressure).summary()).contains("node2: lb_backend (weir_bpf_map_pressure) is 85% full");
        // a map the kernel count covers is judged by that count (and its type), not by the agent's gauge too
        Facts both = withAgent(f, 0, a -> new Facts.Agent(a.node(), true, null, a.netns(), a.version(), a.pid(), a.startedAt(),
                0, 0, a.serviceLb(), a.cpuCores(), a.cpuSeconds(), a.syncSeconds(), a.syncCount(), Map.of("ct", 1.0),
                a.drops(), a.ctEntries(), a.ctCapacity(), a.pods(), a.services(), a.lbFrontends(), a.prefilter()));
        assertThat(ServiceChecks.mapPressure(both).evidence()).noneMatch(e -> e.contains("ct (weir_bpf_map_pressure)"));
    }

    @Test
    void lostEventsWarn() {
        Facts f = withAgent(healthy(), 1, a -> new Facts.Agent(a.node(), true, null, a.netns(), a.version(), a.pid(), a.startedAt(),
                7, 2, a.serviceLb(), a.cpuCores(), a.cpuSeconds(), a.syncSeconds(), a.syncCount(), a.pressure(), a.drops(),
                a.ctEntries(), a.ctCapacity(), a.pods(), a.services(), a.lbFrontends(), a.prefilter()));
        Check c = ClusterChecks.lostEvents(f);
        assertThat(c.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(c.summary()).contains("node2: 7 flow events lost in the kernel", "node2: 2 flow events lost by slow");
    }

    @Test
    void versionAndClockSkewWarnAndStaleHeartbeatsFail() {
        Facts h = healthy();
        List<Facts.NodeRecord> records = List.of(new Facts.NodeRecord("node1", "host-a", "1.0", NOW.minusSeconds(2).toString()),
                new Facts.NodeRecord("node2", "host-b", "1.1", NOW.plusSeconds(30).toString()),
                new Facts.NodeRecord("node3", "host-c", "1.0", NOW.minusSeconds(600).toString()));
        Facts f = new Facts("1.0", NOW, List.of(), records, h.hooks(), h.routes(), h.mtus(), h.needs(), h.maps());
        Check skew = ClusterChecks.skew(f);
        assertThat(skew.verdict()).isEqualTo(Check.Verdict.warn);
        assertThat(skew.evidence()).contains("WARN: weir versions differ: {cli=1.0, node1=1.0, node2=1.1, node3=1.0}",
                "WARN: node node2 on host-b: its clock is 30 s ahead of this host's (heartbeat " + NOW.plusSeconds(30) + ")");
        Facts withAgents = new Facts("1.0", NOW, h.agents(), records, h.hooks(), h.routes(), h.mtus(), h.needs(), h.maps());
        assertThat(ClusterChecks.crossNode(withAgents).summary()).contains("node node3 on host-c: last heartbeat");
    }

    // --- fixed facts: node1 holds x/a, node2 holds x/b; routes, MTUs, weir's hooks only

    static Facts healthy() {
        List<Facts.Pod> pods1 = List.of(pod("x/a", "node1", true, List.of(), false), pod("x/b", "node2", false, List.of(), false));
        List<Facts.Pod> pods2 = List.of(pod("x/a", "node1", false, List.of(), false), pod("x/b", "node2", true, List.of(), false));
        List<Facts.Agent> agents = List.of(up("node1", pods1), up("node2", pods2));
        List<Facts.Route> routes = List.of(new Facts.Route("node1", "x/b", "node2", "10.244.1.20", "via 192.168.100.2 dev eth0"),
                new Facts.Route("node2", "x/a", "node1", "10.244.1.10", "via 192.168.100.1 dev eth0"));
        List<Facts.Mtu> mtus = List.of(new Facts.Mtu("node1", "eth0", 1500, true), new Facts.Mtu("node2", "eth0", 1500, true),
                new Facts.Mtu("node1", "lxc-x-a", 1500, false), new Facts.Mtu("node2", "lxc-x-b", 1500, false));
        List<Facts.Hook> hooks = List.of(new Facts.Hook("node1", "weir-node1", "lxc-x-a", "tcx/ingress", 10, "weir_from_ep", true, true),
                new Facts.Hook("node1", "weir-node1", "lxc-x-a", "tcx/egress", 11, "weir_to_ep", true, true),
                new Facts.Hook("node1", null, "/sys/fs/cgroup/weir-lab/x-a", "cgroup/connect4", 12, "weir_connect4", true, true));
        List<Facts.Need> needs = List.of(new Facts.Need("tc_endpoint", "program sched_cls", true, "supported", ""),
                new Facts.Need("xdp_prefilter", "program xdp", false, "supported", ""));
        List<Facts.MapFill> maps = List.of(new Facts.MapFill("node1", "ct", "lru_hash", 10, 65536));
        return new Facts("0.1.0", NOW, agents, List.of(), hooks, routes, mtus, needs, maps);
    }

    private static Facts.Agent up(String node, List<Facts.Pod> pods) {
        return new Facts.Agent(node, true, null, "weir-" + node, "0.1.0", 100, NOW.minusSeconds(60).toString(), 0, 0,
                "socket+tc", 0.02, 3.0, Map.of("compile", 0.1, "dataplane", 0.2), 5, Map.of("lb_svc", 0.01),
                Map.of("POLICY_DENIED", 4.0), 10, 65536, pods, List.of(), List.of(), Facts.Prefilter.NONE);
    }

    private static Facts.Pod pod(String key, String node, boolean local, List<Facts.Entry> entries, boolean egress) {
        String iface = "lxc-" + key.replace('/', '-');
        return new Facts.Pod(key, node, local, iface, null, "10.0.0.1", null, egress, entries);
    }

    private static Facts.Agent agent(Facts.Agent a, Facts.Prefilter p, List<Facts.Service> services, List<String> lb,
                                     List<Facts.Pod> pods) {
        return new Facts.Agent(a.node(), true, null, a.netns(), a.version(), a.pid(), a.startedAt(), 0, 0, a.serviceLb(),
                a.cpuCores(), a.cpuSeconds(), a.syncSeconds(), a.syncCount(), a.pressure(), a.drops(), a.ctEntries(),
                a.ctCapacity(), pods, services, lb, p);
    }

    private static Facts.Agent ct(Facts.Agent a, int entries, int capacity, Map<String, Double> drops) {
        return new Facts.Agent(a.node(), true, null, a.netns(), a.version(), a.pid(), a.startedAt(), 0, 0, a.serviceLb(),
                a.cpuCores(), a.cpuSeconds(), a.syncSeconds(), a.syncCount(), a.pressure(), drops, entries, capacity,
                a.pods(), a.services(), a.lbFrontends(), a.prefilter());
    }

    private static Facts with(Facts f, UnaryOperator<List<Facts.Agent>> agents) {
        return with(f, agents, f.hooks());
    }

    private static Facts with(Facts f, UnaryOperator<List<Facts.Agent>> agents, List<Facts.Hook> hooks) {
        return new Facts(f.cliVersion(), NOW, agents.apply(f.agents()), f.records(), hooks, f.routes(), f.mtus(), f.needs(), f.maps());
    }

    private static Facts withAgent(Facts f, int i, UnaryOperator<Facts.Agent> change) {
        return with(f, agents -> {
            List<Facts.Agent> out = new ArrayList<>(agents);
            out.set(i, change.apply(out.get(i)));
            return out;
        });
    }

    private static Facts withHooks(Facts f, Facts.Hook extra) {
        List<Facts.Hook> hooks = new ArrayList<>(f.hooks());
        hooks.add(extra);
        return with(f, a -> a, hooks);
    }
}
