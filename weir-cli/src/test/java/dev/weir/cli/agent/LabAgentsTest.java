package dev.weir.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.weir.agent.datapath.SocketLbMode;
import dev.weir.agent.runtime.AgentConfig;
import dev.weir.datapath.lb.LbMapSizes;
import dev.weir.lab.KvstoreState;

/** The lab agents' command lines and the settings a restart keeps, without starting anything. */
class LabAgentsTest {

    private static final String ENDPOINTS = "http://127.0.0.1:23790,http://127.0.0.1:23792,http://127.0.0.1:23794";
    private static final Path LOG = Path.of("/run/weir/lab/logs/agent-node1.log");

    @Test
    void etcdAgentsGetTheKvstoreAndEveryEndpoint() {
        List<String> argv = LabAgents.argv("node1", SocketLbMode.auto, LbMapSizes.DEFAULTS,
                new AgentConfig.Kvstore("etcd", ENDPOINTS), "/jdk/bin/java", "/run/weir/lab/weir-agent.jar", LOG);
        assertThat(argv.subList(0, 2)).containsExactly("setsid", "/jdk/bin/java");
        int agent = argv.indexOf("agent");
        assertThat(argv.subList(agent - 1, argv.size())).containsExactly("dev.weir.cli.Main", "agent",
                "--node", "node1", "--state-dir", "/var/lib/weir/lab/store", "--log-file", LOG.toString(),
                "--socket-lb", "auto", "--kvstore", "etcd", "--kvstore-endpoints", ENDPOINTS);
    }

    @Test
    void theLabTellsEachAgentItsNodeAndTheServiceRangesAsFlags() {
        var model = dev.weir.lab.model.NetpolModel.build(2);
        var lab = new dev.weir.lab.LabState(model.model(), "now", model.nodes(), model.namespaces(), model.pods(), model.ext(),
                model.underlay(), model.services(), java.util.Map.of(), null, null, "tunnel");
        assertThat(String.join(" ", LabAgents.siteArgs("node2", lab))).isEqualTo("--metrics-address 127.0.0.1:9963 --flow-metrics flow,drop,port-distribution --netns weir-node2"
                + " --node-ipv4 192.168.100.2 --node-ipv6 fd00:192:168:100::2"
                + " --service-cidr 10.96.0.0/16 --service-cidr fd00:10:96::/112 --node-port-range 30000-32767"
                + " --external-pool 203.0.113.0/28 --external-pool 203.0.113.16/28"
                + " --external-pool fd00:203:0:113::/124 --external-pool fd00:203:0:113::10/124 --routing tunnel");
    }

    @Test
    void fileAgentsSayFileAndHaveNoEndpoints() {
        List<String> argv = LabAgents.argv("node2", SocketLbMode.off, LbMapSizes.parse(List.of("lb_backend=200000")),
                AgentConfig.Kvstore.FILE, "java", "cp", LOG);
        assertThat(String.join(" ", argv)).endsWith("--socket-lb off --lb-map-size lb_backend=200000 --kvstore file");
        assertThat(argv).doesNotContain("--kvstore-endpoints");
    }

    @Test
    void aRestartKeepsTheRunningAgentsSizesAndKvstore() {
        List<String> argv = LabAgents.argv("node1", SocketLbMode.on, LbMapSizes.parse(List.of("lb_backend=131072")),
                new AgentConfig.Kvstore("etcd", ENDPOINTS), "java", "cp", LOG);
        // /proc/<pid>/cmdline: setsid execs java
        LabAgents.Settings s = LabAgents.settings(argv.subList(1, argv.size()));
        assertThat(s.sizes()).isEqualTo(LbMapSizes.parse(List.of("lb_backend=131072")));
        assertThat(s.kvstore()).isEqualTo(new AgentConfig.Kvstore("etcd", ENDPOINTS));

        LabAgents.Settings old = LabAgents.settings(List.of("java", "-cp", "x", "dev.weir.cli.Main", "agent", "--node", "node1"));
        assertThat(old.kvstore()).as("an agent started before --kvstore existed").isEqualTo(AgentConfig.Kvstore.FILE);
        assertThat(old.sizes()).isEqualTo(LbMapSizes.DEFAULTS);
    }

    @Test
    void policyAndConntrackMapSizesArePassedAndKeptAcrossARestart() {
        LabAgents.Settings want = new LabAgents.Settings(LbMapSizes.DEFAULTS, AgentConfig.Kvstore.FILE,
                dev.weir.datapath.endpoint.NodeMapSizes.parse(List.of("ct=262144", "np_ct=4096")));
        List<String> argv = LabAgents.argv("node1", SocketLbMode.auto, want, "java", "cp", LOG);
        assertThat(String.join(" ", argv)).contains("--socket-lb auto --map-size ct=262144 --map-size np_ct=4096 --kvstore file");
        assertThat(LabAgents.settings(argv.subList(1, argv.size()))).isEqualTo(want);
    }

    @Test
    void theNodePortModeIsPassedAndKeptAcrossARestart() {
        LabAgents.Settings want = new LabAgents.Settings(LbMapSizes.DEFAULTS, AgentConfig.Kvstore.FILE,
                dev.weir.datapath.endpoint.NodeMapSizes.DEFAULTS, "dsr");
        List<String> argv = LabAgents.argv("node1", SocketLbMode.auto, want, "java", "cp", LOG);
        assertThat(String.join(" ", argv)).contains("--kvstore file --nodeport-mode dsr");
        assertThat(LabAgents.settings(argv.subList(1, argv.size()))).isEqualTo(want);
        List<String> snat = LabAgents.argv("node1", SocketLbMode.auto, LbMapSizes.DEFAULTS, AgentConfig.Kvstore.FILE, "java",
                "cp", LOG);
        assertThat(snat).as("the agent's default").doesNotContain("--nodeport-mode");
    }

    @Test
    void sockmapIsPassedReadBackAndSetAnewByEachRestart() {
        LabAgents.Settings on = new LabAgents.Settings(LbMapSizes.DEFAULTS, AgentConfig.Kvstore.FILE).withSockmap(true);
        List<String> argv = LabAgents.argv("node1", SocketLbMode.auto, on, "java", "cp", LOG);
        assertThat(String.join(" ", argv)).contains("--socket-lb auto --sockmap --kvstore file");
        assertThat(LabAgents.settings(argv.subList(1, argv.size()))).isEqualTo(on);
        assertThat(LabAgents.settings(argv.subList(1, argv.size())).withSockmap(false).sockmap()).isFalse();
        assertThat(LabAgents.argv("node1", SocketLbMode.auto, on.withSockmap(false), "java", "cp", LOG)).doesNotContain("--sockmap");
    }

    @Test
    void aLeaseTtlOtherThanTheDefaultIsPassedAndKeptAcrossARestart() {
        AgentConfig.Kvstore kv = new AgentConfig.Kvstore("etcd", ENDPOINTS, Duration.ofSeconds(10));
        List<String> argv = LabAgents.argv("node1", SocketLbMode.auto, LbMapSizes.DEFAULTS, kv, "java", "cp", LOG);
        assertThat(String.join(" ", argv))
                .endsWith("--kvstore etcd --kvstore-endpoints " + ENDPOINTS + " --kvstore-lease-ttl 10");
        assertThat(LabAgents.settings(argv.subList(1, argv.size())).kvstore()).isEqualTo(kv);

        List<String> byDefault = LabAgents.argv("node1", SocketLbMode.auto, LbMapSizes.DEFAULTS,
                kv.withLeaseTtl(AgentConfig.Kvstore.DEFAULT_LEASE_TTL), "java", "cp", LOG);
        assertThat(byDefault).doesNotContain("--kvstore-lease-ttl");
        assertThat(LabAgents.settings(byDefault.subList(1, byDefault.size())).kvstore().leaseTtl())
                .isEqualTo(AgentConfig.Kvstore.DEFAULT_LEASE_TTL);
    }

    @Test
    void theLabsRecordGivesTheAgentsKvstore() {
        assertThat(LabAgents.kvstoreOf(null)).isEqualTo(AgentConfig.Kvstore.FILE);
        assertThat(LabAgents.kvstoreOf(KvstoreState.file("/var/lib/weir/lab/store"))).isEqualTo(AgentConfig.Kvstore.FILE);
        KvstoreState etcd = KvstoreState.etcd(List.of(
                new KvstoreState.Member("etcd1", "http://127.0.0.1:23790", "http://127.0.0.1:23791", 7, "d", "l", true, true),
                new KvstoreState.Member("etcd2", "http://127.0.0.1:23792", "http://127.0.0.1:23793", 8, "d", "l", true, true)));
        assertThat(LabAgents.kvstoreOf(etcd))
                .isEqualTo(new AgentConfig.Kvstore("etcd", "http://127.0.0.1:23790,http://127.0.0.1:23792"));
    }
}
