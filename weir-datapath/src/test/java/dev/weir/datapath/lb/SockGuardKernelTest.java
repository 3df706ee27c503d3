package dev.weir.datapath.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.Mem;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.datapath.guard.GuardPeerKey;
import dev.weir.datapath.guard.GuardVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.CgroupLink;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.testkit.Requirements;

/**
 * The workload guard's programs ({@code sock_guard.o}) attached to a cgroup of the test's own, judged with
 * real sockets: {@code sockclient} moved into that cgroup connects, sends and binds to test backends on
 * loopback addresses. A refused call fails with EPERM and the backend sees nothing; audit lets it through.
 * In this package for the socket-LB tests' client and backends. Everything is removed afterwards and checked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SockGuardKernelTest {

    static final int EPERM = 1;
    static final int RULE = 0x4000_0101;
    static final int DFLT = 0x4000_0100;
    static final int BIND = 0x4000_01ff;

    Path cgroup;
    long cgroupId;
    BpfObject obj;
    final List<CgroupLink> links = new ArrayList<>();
    final List<Integer> programIds = new ArrayList<>();
    BpfMap<Long, GuardVal> pods;
    BpfMap<IpcacheKey, IpcacheVal> ipcache;
    BpfPerCpuMap<Integer, Counter> stats;
    Backend a;
    Backend b;
    Backend c6;

    @BeforeAll
    void setUp() throws IOException {
        Requirements.root();
        Path cgroup2 = SockLbKernelTest.cgroup2();
        Requirements.require(cgroup2 != null, "needs a cgroup2 mount (none in /proc/mounts)");
        Requirements.require(SockClient.built(), "needs the test client " + SockClient.BINARY
                + " (built by the test build's compile-test-client step)");
        obj = BpfObject.load(ObjectSpec.read(GuardMaps.OBJECT, Datapath.object(GuardMaps.OBJECT)));
        pods = obj.map(GuardMaps.PODS, Codec.u64(), GuardVal.CODEC);
        ipcache = obj.map("ipcache", IpcacheKey.CODEC, IpcacheVal.CODEC);
        stats = obj.perCpuMap(GuardMaps.STATS, Codec.u32(), Counter.CODEC);
        cgroup = cgroup2.resolve("weir-guard-test-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(cgroup);
        cgroupId = (Long) Files.getAttribute(cgroup, "unix:ino");
        for (GuardMaps.Hook h : GuardMaps.HOOKS) {
            programIds.add(obj.program(h.program()).id());
            links.add(CgroupLink.attach(obj.program(h.program()), cgroup, h.attachType()));
        }
        a = new Backend("A", "127.0.0.21");
        b = new Backend("B", "127.0.0.22");
        c6 = new Backend("C6", "::1");
    }

    @AfterEach
    void unguard() {
        pods.delete(cgroupId);
    }

    @AfterAll
    void tearDown() throws Exception {
        for (Backend be : new Backend[] {a, b, c6}) {
            if (be != null) {
                be.close();
            }
        }
        for (CgroupLink l : links) {
            l.close();
        }
        SockLbKernelTest.removeCgroup(cgroup, cgroupId);
        if (obj != null) {
            obj.close();
            SockLbKernelTest.assertUnloaded(programIds, "guard programs");
        }
    }

    @Test
    void aDeniedDestinationGetsEpermAndNothingReachesIt() {
        guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(deny(a.addr, 32, 6, 0, 65535)), true, List.of());
        long refused = count(DropReason.DROP_GUARD_CONNECT);
        int accepted = a.accepted.get();

        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 3)).hasSize(3).allSatisfy(r -> {
            assertThat(r.op()).as(r.line()).isEqualTo("connect");
            assertThat(r.errno()).isEqualTo(EPERM);
        });
        assertThat(a.accepted.get()).as("nothing reached the denied backend").isEqualTo(accepted);
        assertThat(count(DropReason.DROP_GUARD_CONNECT) - refused).isEqualTo(3);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 2))
                .as("another destination connects").hasSize(2).allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(null, "tcp", "127.0.0.21", a.tcpPort(), 1))
                .as("a process outside the cgroup is not guarded").allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
    }

    @Test
    void udpSendtoAndConnectToADeniedDestinationAreRefused() {
        guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(deny(a.addr, 32, 17, a.udpPort(), a.udpPort())), true, List.of());
        long sendmsg = count(DropReason.DROP_GUARD_SENDMSG);
        int datagrams = a.datagrams.get();

        assertThat(SockClient.run(cgroup, "udp", "127.0.0.21", a.udpPort(), 2)).allSatisfy(r -> {
            assertThat(r.op()).as(r.line()).isEqualTo("sendto");
            assertThat(r.errno()).isEqualTo(EPERM);
        });
        assertThat(SockClient.run(cgroup, "udpc", "127.0.0.21", a.udpPort(), 1)).allSatisfy(r -> {
            assertThat(r.op()).as(r.line()).isEqualTo("connect");
            assertThat(r.errno()).isEqualTo(EPERM);
        });
        assertThat(a.datagrams.get()).as("no datagram left").isEqualTo(datagrams);
        assertThat(count(DropReason.DROP_GUARD_SENDMSG) - sendmsg).isEqualTo(2);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("TCP to it is another rule's")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
    }

    @Test
    void anAllowListRefusesEverythingElseByItsDefault() {
        guard(GuardMaps.ENFORCE, GuardMaps.DENY, List.of(rule(GuardMaps.ALLOW, b.addr, 24, 0, 0, 65535)), true, List.of());
        // 127.0.0.0/24 holds b (127.0.0.22) and a (127.0.0.21): both allowed by the /24
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        guard(GuardMaps.ENFORCE, GuardMaps.DENY, List.of(rule(GuardMaps.ALLOW, b.addr, 32, 0, 0, 65535)), true, List.of());
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1)).allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
    }

    @Test
    void anIdentityRuleMatchesTheIpcachesIdentity() {
        IpcacheKey key = IpcacheKey.of(a.addr, 32);
        ipcache.put(key, IpcacheVal.of(4242));
        try {
            GuardVal.Rule byId = new GuardVal.Rule(new byte[16], 0, GuardMaps.DENY, 0, GuardMaps.BY_IDENTITY, 0, 65535, 4242, RULE);
            guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(byId), true, List.of());
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1)).allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
            GuardVal.Rule world = new GuardVal.Rule(new byte[16], 0, GuardMaps.DENY, 0, GuardMaps.BY_WORLD, 0, 65535, 0, RULE);
            guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(world), true, List.of());
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1)).as("not in the ipcache: world")
                    .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        } finally {
            ipcache.delete(key);
        }
    }

    @Test
    void aPeersRuleMatchesTheIdentitiesGuardPeersListsUnderItsId() {
        BpfMap<GuardPeerKey, Integer> peers = obj.map(GuardMaps.PEERS, GuardPeerKey.CODEC, Codec.u8());
        IpcacheKey key = IpcacheKey.of(a.addr, 32);
        ipcache.put(key, IpcacheVal.of(4242));
        try {
            GuardVal.Rule byPeers = new GuardVal.Rule(new byte[16], 0, GuardMaps.DENY, 0, GuardMaps.BY_PEERS, 0, 65535, 0, RULE);
            guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(byPeers), true, List.of());
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("no identity listed yet")
                    .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
            peers.put(new GuardPeerKey(RULE, 4242), 1);
            peers.put(new GuardPeerKey(DFLT, 2), 1);
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("4242 listed under the rule")
                    .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1)).as("world is listed under another rule")
                    .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
            peers.delete(new GuardPeerKey(RULE, 4242));
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("the identity went")
                    .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        } finally {
            ipcache.delete(key);
            peers.delete(new GuardPeerKey(DFLT, 2));
        }
    }

    @Test
    void severalGuardsEachJudgeAndAnyEnforcingOneRefuses() {
        GuardVal.Set denyList = new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.ALLOW, true, DFLT, BIND);
        GuardVal.Set allowList = new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.DENY, true, DFLT + 0x100, BIND + 0x100);
        GuardVal.Rule denyA = deny(a.addr, 32, 0, 0, 65535);
        GuardVal.Rule allowAB = rule(GuardMaps.ALLOW, a.addr, 24, 0, 0, 65535).inSet(1);
        pods.put(cgroupId, new GuardVal(7, List.of(denyList, allowList), List.of(denyA, allowAB), List.of()));
        long refused = count(DropReason.DROP_GUARD_CONNECT);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("the second guard's allow does not undo the first's deny")
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1)).as("both let it")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "tcp", "::1", c6.tcpPort(), 1)).as("the second's default refuses")
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        assertThat(count(DropReason.DROP_GUARD_CONNECT) - refused).as("one count per call").isEqualTo(2);

        GuardVal.Set audit = new GuardVal.Set(GuardMaps.AUDIT, GuardMaps.ALLOW, true, DFLT, BIND);
        GuardVal.Set enforce = new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.ALLOW, true, DFLT + 0x100, BIND + 0x100);
        pods.put(cgroupId, new GuardVal(7, List.of(audit, enforce), List.of(denyA), List.of()));
        long audited = count(DropReason.PASS_AUDIT);
        refused = count(DropReason.DROP_GUARD_CONNECT);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("only the auditing guard refuses")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(count(DropReason.PASS_AUDIT) - audited).isEqualTo(1);
        pods.put(cgroupId, new GuardVal(7, List.of(audit, enforce), List.of(denyA, denyA.inSet(1)), List.of()));
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 1)).as("the enforcing one refuses too")
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        assertThat(count(DropReason.DROP_GUARD_CONNECT) - refused).isEqualTo(1);
        assertThat(count(DropReason.PASS_AUDIT) - audited).as("the refused call is not also an audit").isEqualTo(1);
    }

    @Test
    void aPortMayBeBoundWhenEveryGuardLetsIt() {
        GuardVal.Set lists = new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.ALLOW, false, DFLT, BIND);
        GuardVal.Set any = new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.ALLOW, true, DFLT + 0x100, BIND + 0x100);
        GuardVal.Set lists2 = new GuardVal.Set(GuardMaps.ENFORCE, GuardMaps.ALLOW, false, DFLT + 0x100, BIND + 0x100);
        pods.put(cgroupId, new GuardVal(7, List.of(lists, any), List.of(), List.of(new GuardVal.Port(40130, 40131, 0, 0))));
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", "40130"))
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", "40132"))
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        pods.put(cgroupId, new GuardVal(7, List.of(lists, lists2), List.of(),
                List.of(new GuardVal.Port(40130, 40130, 0, 0), new GuardVal.Port(40131, 40131, 0, 1))));
        for (String port : new String[] {"40130", "40131"}) {
            assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", port))
                    .as("listed by one guard, not the other").allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        }
    }

    @Test
    void bindOfAPortNotListedIsRefused() {
        int allowed = 40123;
        guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(), false, List.of(new GuardVal.Port(allowed, allowed, 6)));
        long refused = count(DropReason.DROP_GUARD_BIND);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", "40124")).allSatisfy(r -> {
            assertThat(r.op()).as(r.line()).isEqualTo("bind");
            assertThat(r.errno()).isEqualTo(EPERM);
        });
        assertThat(count(DropReason.DROP_GUARD_BIND) - refused).isEqualTo(1);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", Integer.toString(allowed)))
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "udp", "127.0.0.22", b.udpPort(), 1, "127.0.0.1", Integer.toString(allowed)))
                .as("the listed port is TCP's").allSatisfy(r -> assertThat(r.op()).as(r.line()).isEqualTo("bind"));
    }

    @Test
    void bindOfPortZeroIsJudgedOnThePortTheKernelPicks() throws IOException {
        guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(), false, List.of(new GuardVal.Port(40123, 40123, 6)));
        long refused = count(DropReason.DROP_GUARD_BIND);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", "0")).as("TCP bind(0)")
                .allSatisfy(r -> {
                    assertThat(r.op()).as(r.line()).isEqualTo("bind");
                    assertThat(r.errno()).isEqualTo(EPERM);
                });
        assertThat(SockClient.run(cgroup, "udp", "127.0.0.22", b.udpPort(), 1, "0.0.0.0", "0")).as("UDP bind(0)")
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        assertThat(SockClient.run(cgroup, "listen", "::1", 0, 1, "::", "0")).as("bind6(0), then listen()")
                .allSatisfy(r -> assertThat(r.op()).as(r.line()).isEqualTo("bind"));
        assertThat(count(DropReason.DROP_GUARD_BIND) - refused).as("each counted once").isEqualTo(3);

        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1)).as("connect() without bind()")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "udp", "127.0.0.22", b.udpPort(), 1)).as("sendto() on an unbound socket")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "listen", "127.0.0.1", 0, 1)).as("listen() without bind(): post_bind does not run")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(count(DropReason.DROP_GUARD_BIND) - refused).as("the implicit binds are not judged").isEqualTo(3);

        String[] range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst().trim().split("\\s+");
        guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(), false,
                List.of(new GuardVal.Port(Integer.parseInt(range[0]), Integer.parseInt(range[1]), 0)));
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 2, "127.0.0.1", "0"))
                .as("the ephemeral range allowed: the kernel's pick is in it")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
    }

    @Test
    void auditReportsABindOnceWhetherItsPortWasAskedOrPicked() {
        guard(GuardMaps.AUDIT, GuardMaps.ALLOW, List.of(), false, List.of(new GuardVal.Port(40123, 40123, 6)));
        long audit = count(DropReason.PASS_AUDIT);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", "0"))
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(count(DropReason.PASS_AUDIT) - audit).as("bind(0): post_bind's report").isEqualTo(1);
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.22", b.tcpPort(), 1, "127.0.0.1", "40127"))
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(count(DropReason.PASS_AUDIT) - audit).as("bind(40127): bind4's report, not post_bind's too").isEqualTo(2);
    }

    @Test
    void auditLetsTheCallThroughAndCountsIt() {
        guard(GuardMaps.AUDIT, GuardMaps.ALLOW, List.of(deny(a.addr, 32, 0, 0, 65535)), false, List.of());
        long audit = count(DropReason.PASS_AUDIT);
        long refused = count(DropReason.DROP_GUARD_CONNECT) + count(DropReason.DROP_GUARD_BIND);
        int accepted = a.accepted.get();
        assertThat(SockClient.run(cgroup, "tcp", "127.0.0.21", a.tcpPort(), 2, "127.0.0.1", "40125"))
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(a.accepted.get() - accepted).isEqualTo(2);
        assertThat(count(DropReason.PASS_AUDIT) - audit).as("two binds and two connects").isEqualTo(4);
        assertThat(count(DropReason.DROP_GUARD_CONNECT) + count(DropReason.DROP_GUARD_BIND)).isEqualTo(refused);
    }

    @Test
    void ipv6AndAV4MappedDestinationOfAnIpv6Socket() {
        GuardVal.Rule v6 = new GuardVal.Rule(Mem.mapped(c6.addr), 128, GuardMaps.DENY, 6, GuardMaps.BY_PREFIX, 0, 65535, 0, RULE);
        guard(GuardMaps.ENFORCE, GuardMaps.ALLOW, List.of(v6, deny(a.addr, 32, 0, 0, 65535)), false, List.of());
        assertThat(SockClient.run(cgroup, "tcp", "::1", c6.tcpPort(), 1)).as("connect6")
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        assertThat(SockClient.run(cgroup, "udp", "::1", c6.udpPort(), 1)).as("the rule is TCP's")
                .allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        assertThat(SockClient.run(cgroup, "tcp", "::ffff:127.0.0.21", a.tcpPort(), 1))
                .as("an IPv6 socket to a v4-mapped address meets the IPv4 rule")
                .allSatisfy(r -> assertThat(r.errno()).as(r.line()).isEqualTo(EPERM));
        assertThat(SockClient.run(cgroup, "udp", "::1", c6.udpPort(), 1, "::1", "40126")).as("bind6 of a port not listed")
                .allSatisfy(r -> {
                    assertThat(r.op()).as(r.line()).isEqualTo("bind");
                    assertThat(r.errno()).isEqualTo(EPERM);
                });
    }

    private void guard(int mode, int dflt, List<GuardVal.Rule> rules, boolean bindAny, List<GuardVal.Port> bind) {
        pods.put(cgroupId, new GuardVal(7, mode, dflt, bindAny, DFLT, BIND, rules, bind));
    }

    private static GuardVal.Rule deny(InetAddress addr, int bits, int proto, int lo, int hi) {
        return rule(GuardMaps.DENY, addr, bits, proto, lo, hi);
    }

    private static GuardVal.Rule rule(int action, InetAddress addr, int bits, int proto, int lo, int hi) {
        return new GuardVal.Rule(Mem.mapped(addr), 96 + bits, action, proto, GuardMaps.BY_PREFIX, lo, hi, 0, RULE);
    }

    private long count(DropReason r) {
        Counter sum = stats.lookupSum(r.code(), Counter::plus);
        return sum == null ? 0 : sum.packets();
    }
}
