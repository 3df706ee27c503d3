package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.prefilter.KernelPrefilterDataplane;
import dev.weir.agent.prefilter.PrefilterManager;
import dev.weir.agent.prefilter.PrefilterStore;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.Lab;
import dev.weir.lab.LabConfig;
import dev.weir.lab.model.Family;
import dev.weir.lab.model.PortSpec;
import dev.weir.testkit.Requirements;

/**
 * The prefilter through the weir command on a real lab: XDP on node1's underlay interface, real ping,
 * TCP and UDP from pods on node2, counters that match what was sent.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PrefilterLabTest {

    static final String NS = "weir-node1";
    static final String XA = "10.244.1.10";
    private static Lab lab;

    @BeforeAll
    static void up() {
        Requirements.rootWithBpffs();
        Cli.run("uninstall");
        lab = Lab.up(LabConfig.defaults(), s -> { });
        ok("prefilter", "attach", "--netns", NS, "eth0");
    }

    @AfterAll
    static void down() {
        if (Requirements.isRoot()) {
            Cli.run("lab", "down");
            Cli.run("uninstall");
            assertThat(Path.of("/sys/fs/bpf/weir")).doesNotExist();
            assertThat(Path.of("/run/weir/prefilter")).doesNotExist();
        }
    }

    static InProcess.Result ok(String... args) {
        InProcess.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    static PrefilterManager manager() {
        return new PrefilterManager(NS, new PrefilterStore(PrefilterStore.DEFAULT_ROOT),
                new KernelPrefilterDataplane(NS, NetworkNamespace.named(NS)));
    }

    static long ruleHits(int rule) {
        return manager().ruleCounters().getOrDefault(rule, new long[2])[0];
    }

    static long reason(int code) {
        return manager().reasonCounters().getOrDefault(code, new long[2])[0];
    }

    static int addRule(String... flags) {
        String[] args = new String[flags.length + 4];
        args[0] = "prefilter";
        args[1] = "add";
        args[2] = "--netns";
        args[3] = NS;
        System.arraycopy(flags, 0, args, 4, flags.length);
        String out = ok(args).out();
        return Integer.parseInt(out.replaceAll("(?s)^added rule (\\d+):.*", "$1"));
    }

    static void flushNeighbours(String netns) {
        try {
            Process p = new ProcessBuilder("ip", "-n", netns, "-6", "neigh", "flush", "dev", "eth0").inheritIO().start();
            assertThat(p.waitFor()).isZero();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static int exec(String who, String... cmd) {
        return lab.exec(who, List.of(cmd));
    }

    @Test
    @Order(1)
    void attachedNativelyAndVisibleInNet() throws Exception {
        JsonNode rows = new ObjectMapper().readTree(ok("net", "--netns", NS, "-o", "json").out());
        assertThat(rows).anySatisfy(r -> {
            assertThat(r.get("iface").asText()).isEqualTo("eth0");
            assertThat(r.get("hook").asText()).isEqualTo("xdp");
            assertThat(r.get("progName").asText()).isEqualTo("weir_prefilter");
        });
        assertThat(Path.of("/sys/fs/bpf/weir/prefilter", NS, "links", "eth0")).exists();
    }

    @Test
    @Order(2)
    void icmpDenyCountsEveryPingSent() {
        int rule = addRule("--src", "10.244.2.20", "--proto", "icmp");
        long drops = reason(128);
        assertThat(exec("y/b", "ping", "-c", "5", "-i", "0.2", "-W", "1", XA)).isNotZero();
        assertThat(ruleHits(rule)).isEqualTo(5);
        assertThat(reason(128) - drops).isEqualTo(5);
        assertThat(exec("z/b", "ping", "-c", "2", "-i", "0.2", "-W", "1", XA)).as("other sources pass").isZero();
        String events = ok("prefilter", "events", "--netns", NS, "-o", "json").out();
        assertThat(events).as("sampled drop events (1 in 1 by default)")
                .contains("\"reason\":\"DROP_DENY_RULE\"", "\"source\":\"10.244.2.20\"", "\"protocol\":\"icmp\"");
        assertThat(events.lines().count()).isGreaterThanOrEqualTo(5);
    }

    @Test
    @Order(3)
    void udpPortDenyCountsEveryDatagram() {
        int rule = addRule("--src", "10.244.2.20", "--proto", "udp", "--dport", "9999");
        assertThat(exec("y/b", "bash", "-c", "for i in 1 2 3 4 5 6 7; do echo x > /dev/udp/" + XA + "/9999; done")).isZero();
        assertThat(ruleHits(rule)).isEqualTo(7);
        assertThat(lab.probe("y/b", "x/a", PortSpec.parse("UDP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
    }

    @Test
    @Order(4)
    void tcpPortDenyBlocksOnlyThatPort() {
        int rule = addRule("--dst", XA, "--proto", "tcp", "--dport", "80");
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isFalse();
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/81"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        assertThat(lab.probe("z/b", "x/c", PortSpec.parse("TCP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        assertThat(ruleHits(rule)).isPositive();
        ok("prefilter", "del", "--netns", NS, Integer.toString(rule));
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
    }

    @Test
    @Order(5)
    void ipv6SourceDenyCountsEveryPing() {
        int rule = addRule("--src", "fd00:10:244:3::20/128", "--proto", "icmpv6");
        assertThat(exec("z/b", "ping", "-6", "-c", "4", "-i", "0.2", "-W", "1", "fd00:10:244:1::10")).isNotZero();
        assertThat(ruleHits(rule)).isEqualTo(4);
        assertThat(exec("y/c", "ping", "-6", "-c", "1", "-W", "1", "fd00:10:244:1::10")).isZero();
    }

    @Test
    @Order(6)
    void rateLimitDropsWhatExceedsTheBucket() {
        ok("prefilter", "set", "--netns", NS, "--rate-limit", "5", "--burst", "5");
        long limited = reason(130);
        exec("x/b", "ping", "-c", "40", "-i", "0.01", "-W", "1", XA);
        long dropped = reason(130) - limited;
        assertThat(dropped).as("rate-limit drops of 40 pings in 0.4 s at 5 pps, burst 5").isBetween(25L, 40L);
        ok("prefilter", "set", "--netns", NS, "--rate-limit", "0");
        assertThat(exec("x/b", "ping", "-c", "1", "-W", "1", XA)).isZero();
    }

    @Test
    @Order(7)
    void allowlistPassesOnlyWhatIsAllowed() {
        addRule("--action", "allow", "--proto", "tcp", "--dport", "81");
        ok("prefilter", "set", "--netns", NS, "--mode", "allowlist");
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/81"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        // IPv6 keeps working: neighbour discovery passes the allowlist
        flushNeighbours("weir-node1");
        flushNeighbours("weir-node2");
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/81"), Family.IPV6, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isFalse();
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("UDP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isFalse();
        assertThat(reason(129)).isPositive();
        ok("prefilter", "set", "--netns", NS, "--mode", "denylist");
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("UDP/80"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
    }

    @Test
    @Order(8)
    void listAndStatsShowRulesAndReasons() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode list = json.readTree(ok("prefilter", "list", "--netns", NS, "-o", "json").out());
        assertThat(list.get("attachments")).isNotNull();
        assertThat(list.get("rules")).hasSizeGreaterThanOrEqualTo(4);
        JsonNode stats = json.readTree(ok("prefilter", "stats", "--netns", NS, "-o", "json").out());
        assertThat(stats.get("reasons").toString()).contains("DROP_DENY_RULE", "DROP_RATE_LIMIT", "PASS");
        assertThat(stats.get("rules")).isNotEmpty();
    }

    @Test
    @Order(9)
    void badRuleChangesNothing() {
        long rules = manager().state(null).rules().rules().size();
        InProcess.Result r = Cli.run("prefilter", "add", "--netns", NS, "--src", "192.0.2.0/24", "--src", "192.0.2.300/32");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("192.0.2.300");
        assertThat(manager().state(null).rules().rules()).hasSize((int) rules);
        InProcess.Result tooMany = Cli.run("prefilter", "attach", "--netns", NS, "no-such-if0");
        assertThat(tooMany.exit()).isEqualTo(2);
        assertThat(tooMany.err()).contains("no interface no-such-if0 in network namespace " + NS);
    }

    @Test
    @Order(10)
    void detachRestoresTrafficAndRemovesPins() throws Exception {
        int rule = addRule("--src", "10.244.3.20");
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/81"), null, Lab.PROBE_TIMEOUT).allowed()).isFalse();
        assertThat(ruleHits(rule)).isPositive();
        ok("prefilter", "detach", "--netns", NS, "eth0");
        assertThat(lab.probe("z/b", "x/a", PortSpec.parse("TCP/81"), null, Lab.PROBE_TIMEOUT).allowed()).isTrue();
        assertThat(Path.of("/sys/fs/bpf/weir/prefilter", NS)).doesNotExist();
        assertThat(ok("net", "--netns", NS).out()).doesNotContain("weir_prefilter");
        assertThat(Files.exists(Path.of("/run/weir/prefilter", NS, "state.json"))).as("rules are kept").isTrue();
    }
}
