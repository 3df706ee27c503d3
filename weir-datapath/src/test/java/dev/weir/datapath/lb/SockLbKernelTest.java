package dev.weir.datapath.lb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.lb.SockClient.Result;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.CgroupLink;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LinkInfo;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.ProgramInfo;
import dev.weir.testkit.Requirements;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The socket-LB programs attached to a cgroup of the test's own, with real sockets: clients run as
 * {@code sockclient} processes moved into that cgroup, backends listen on loopback addresses, frontends
 * are addresses no route serves (10.96.0.10, fd00:10:96::10). Everything is removed afterwards and
 * checked: no link on the cgroup, no cgroup, none of the programs loaded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SockLbKernelTest {

    static final String FE4 = "10.96.0.10";
    static final String FE6 = "fd00:10:96::10";
    static final int ECONNREFUSED = 111;
    static final int TCP = LbMaps.TCP;
    static final int UDP = LbMaps.UDP;

    Path cgroup;
    long cgroupId;
    BpfObject obj;
    final List<CgroupLink> links = new ArrayList<>();
    final List<Integer> programIds = new ArrayList<>();
    final List<Backend> backends = new ArrayList<>();
    final Map<String, Integer> backendIds = new HashMap<>();
    int nextBackendId = 1;
    int nextSvcId = 1;

    BpfMap<LbSvcKey, LbSvcVal> svc;
    BpfMap<LbSlotKey, Integer> slot;
    BpfMap<Integer, LbBackend> backend;
    BpfMap<LbMaglevKey, Integer> maglev;
    BpfMap<LbAffinityKey, LbAffinityVal> affinity;
    BpfMap<LbSockRevKey, LbFrontend> sockRev;
    BpfPerCpuMap<Integer, Counter> stats;

    Backend a, b, c, d, a6, b6;

    @BeforeAll
    void setUp() throws IOException {
        Requirements.root();
        Path cgroup2 = cgroup2();
        Requirements.require(cgroup2 != null, "needs a cgroup2 mount (none in /proc/mounts)");
        Requirements.require(SockClient.built(), "needs the test client " + SockClient.BINARY
                + " (built by the test build's compile-test-client step)");
        obj = BpfObject.load(ObjectSpec.read(LbMaps.SOCK_OBJECT, Datapath.object(LbMaps.SOCK_OBJECT)));
        svc = obj.map(LbMaps.SVC, LbSvcKey.CODEC, LbSvcVal.CODEC);
        slot = obj.map(LbMaps.SLOT, LbSlotKey.CODEC, Codec.u32());
        backend = obj.map(LbMaps.BACKEND, Codec.u32(), LbBackend.CODEC);
        maglev = obj.map(LbMaps.MAGLEV, LbMaglevKey.CODEC, Codec.u32());
        affinity = obj.map(LbMaps.AFFINITY, LbAffinityKey.CODEC, LbAffinityVal.CODEC);
        sockRev = obj.map(LbMaps.SOCK_REV, LbSockRevKey.CODEC, LbFrontend.CODEC);
        stats = obj.perCpuMap(LbMaps.SOCK_STATS, Codec.u32(), Counter.CODEC);

        cgroup = cgroup2.resolve("weir-socklb-test-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(cgroup);
        cgroupId = (Long) Files.getAttribute(cgroup, "unix:ino");
        for (LbMaps.Hook h : LbMaps.SOCK_HOOKS) {
            programIds.add(obj.program(h.program()).id());
            links.add(CgroupLink.attach(obj.program(h.program()), cgroup, h.attachType()));
        }

        a = backend("A", "127.0.0.11");
        b = backend("B", "127.0.0.12");
        c = backend("C", "127.0.0.13");
        d = backend("D", "127.0.0.14");
        a6 = backend("A6", "::1");
        b6 = backend("B6", "::1");
    }

    @AfterAll
    void tearDown() throws Exception {
        for (Backend be : backends) {
            be.close();
        }
        for (CgroupLink l : links) {
            l.close();
        }
        removeCgroup(cgroup, cgroupId);
        if (obj != null) {
            obj.close();
            assertUnloaded(programIds, "socket-LB programs");
        }
    }

    /** Checks that no link is left on the test's cgroup (null: none made) and removes it (its last socket may linger). */
    static void removeCgroup(Path cgroup, long cgroupId) throws Exception {
        if (cgroup == null) {
            return;
        }
        assertThat(BpfSystem.links()).as("links left on the test cgroup")
                .noneMatch(l -> l.type() == LinkInfo.Type.CGROUP && l.cgroupId() == cgroupId);
        for (int i = 0; Files.exists(cgroup); i++) {
            try {
                Files.delete(cgroup);
            } catch (IOException e) {
                if (i > 50) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
        assertThat(cgroup).doesNotExist();
    }

    /** Checks that none of the programs is loaded any more. */
    static void assertUnloaded(List<Integer> programIds, String what) {
        Set<Integer> loaded = BpfSystem.programs().stream().map(ProgramInfo::id).collect(Collectors.toSet());
        assertThat(programIds).as(what + " still loaded").noneMatch(loaded::contains);
    }

    // ---- the tests ----

    @Test
    void tcpConnectReachesABackendAndTheAppSeesTheFrontend() {
        service(FE4, 80, TCP, 0, 0, 0, a, b);
        int before = a.accepted.get() + b.accepted.get();
        long dnat = count(DropReason.PASS_SERVICE_DNAT);
        long revnat = count(DropReason.PASS_SERVICE_REVNAT);

        List<Result> rs = SockClient.run(cgroup, "tcp", FE4, 80, 20);

        assertThat(rs).hasSize(20).allSatisfy(r -> {
            assertThat(r.ok()).as(r.line()).isTrue();
            assertThat(r.id()).isIn("A", "B");
            assertThat(r.peer()).as("getpeername()").isEqualTo(FE4);
            assertThat(r.peerPort()).isEqualTo(80);
        });
        assertThat(a.accepted.get() + b.accepted.get() - before).isEqualTo(20);
        assertThat(count(DropReason.PASS_SERVICE_DNAT) - dnat).isEqualTo(20);
        assertThat(count(DropReason.PASS_SERVICE_REVNAT) - revnat).isEqualTo(20);
        assertThat(sockRev.entries().values()).contains(LbFrontend.of(addr(FE4), 80, TCP));
    }

    @Test
    void tcpOverIpv6AndADualStackSocketToAV4MappedFrontend() {
        service(FE6, 80, TCP, 0, 0, 0, a6, b6);
        assertThat(SockClient.run(cgroup, "tcp", FE6, 80, 10)).hasSize(10).allSatisfy(r -> {
            assertThat(r.ok()).as(r.line()).isTrue();
            assertThat(r.id()).isIn("A6", "B6");
            assertThat(r.peer()).isEqualTo("[" + FE6 + "]");
            assertThat(r.peerPort()).isEqualTo(80);
        });

        service(FE4, 82, TCP, 0, 0, 0, c);
        assertThat(SockClient.run(cgroup, "tcp", "::ffff:" + FE4, 82, 5)).hasSize(5).allSatisfy(r -> {
            assertThat(r.ok()).as(r.line()).isTrue();
            assertThat(r.id()).isEqualTo("C");
            assertThat(r.peer()).isEqualTo("[::ffff:" + FE4 + "]");
            assertThat(r.peerPort()).isEqualTo(82);
        });
    }

    @Test
    void udpSendAndReceiveThroughTheService() {
        service(FE4, 53, UDP, 0, 0, 0, a, b);
        service(FE6, 53, UDP, 0, 0, 0, a6, b6);
        for (String mode : List.of("udp", "udpc")) {
            assertThat(SockClient.run(cgroup, mode, FE4, 53, 10)).as(mode).hasSize(10).allSatisfy(r -> {
                assertThat(r.ok()).as(r.line()).isTrue();
                assertThat(r.id()).isIn("A", "B");
                assertThat(r.peer()).as("recvfrom() source / getpeername()").isEqualTo(FE4);
                assertThat(r.peerPort()).isEqualTo(53);
            });
            assertThat(SockClient.run(cgroup, mode, FE6, 53, 10)).as(mode).hasSize(10).allSatisfy(r -> {
                assertThat(r.ok()).as(r.line()).isTrue();
                assertThat(r.id()).isIn("A6", "B6");
                assertThat(r.peer()).isEqualTo("[" + FE6 + "]");
                assertThat(r.peerPort()).isEqualTo(53);
            });
        }
    }

    @Test
    void randomSelectionSpreadsOverEveryActiveBackend() {
        service(FE4, 8080, TCP, 0, 0, 0, a, b, c, d);
        List<Result> rs = SockClient.run(cgroup, "tcp", FE4, 8080, 400);
        assertThat(rs).allSatisfy(r -> assertThat(r.ok()).as(r.line()).isTrue());
        Map<String, Long> per = rs.stream().collect(Collectors.groupingBy(Result::id, Collectors.counting()));
        // Binomial(400, 1/4): mean 100, sd 8.7; 60..140 is more than 4.5 sd either side.
        assertThat(per.keySet()).containsExactlyInAnyOrder("A", "B", "C", "D");
        assertThat(per.values()).as("connections per backend %s", per).allSatisfy(n -> assertThat(n).isBetween(60L, 140L));
    }

    @Test
    void maglevPicksTheTableEntryOfTheClientTupleEveryTime() {
        int m = 31;
        Backend[] table = new Backend[m];
        Backend[] set = {a, b, c, d};
        for (int i = 0; i < m; i++) {
            table[i] = set[(i * 7 + 3) % set.length];
        }
        maglevService(FE4, 5353, UDP, m, table, set);
        maglevService(FE4, 5380, TCP, m, table, set);
        byte[] client = LbSvcKey.of(addr("127.0.0.1"), 0, 0, 0).addr();

        for (String mode : List.of("udp", "tcp")) {
            int proto = mode.equals("udp") ? UDP : TCP;
            int port = mode.equals("udp") ? 5353 : 5380;
            List<Result> rs = SockClient.run(cgroup, mode, FE4, port, 40, "127.0.0.1", "0");
            Set<String> seen = new HashSet<>();
            for (Result r : rs) {
                assertThat(r.ok()).as(r.line()).isTrue();
                int idx = LbHash.maglevIndex(client, r.localPort(), proto, m);
                assertThat(r.id()).as("%s from 127.0.0.1:%d (index %d)", mode, r.localPort(), idx)
                        .isEqualTo(table[idx].name);
                assertThat(r.peer()).isEqualTo(FE4);
                seen.add(r.id());
            }
            assertThat(seen).as("backends over 40 client ports").hasSizeGreaterThan(1);
            for (Result r : rs.subList(0, 5)) {
                List<Result> again = SockClient.run(cgroup, mode, FE4, port, 3, "127.0.0.1",
                        Integer.toString(r.localPort()));
                assertThat(again).as("same tuple 127.0.0.1:%d", r.localPort())
                        .allSatisfy(x -> assertThat(x.id()).as(x.line()).isEqualTo(r.id()));
            }
        }
    }

    @Test
    void affinitySticksWithinTheTimeoutAndOnlyToAnActiveBackend() {
        int svcId = service(FE4, 8443, TCP, LbMaps.F_AFFINITY, 30, 0, a, b, c, d);
        List<Result> rs = SockClient.run(cgroup, "tcp", FE4, 8443, 30);
        String first = rs.getFirst().id();
        assertThat(rs).allSatisfy(r -> assertThat(r.id()).as(r.line()).isEqualTo(first));
        List<LbAffinityKey> keys = affinity.keys().stream().filter(k -> k.svcId() == svcId).toList();
        assertThat(keys).hasSize(1);
        LbAffinityKey key = keys.getFirst();
        assertThat(key.isNetns()).as("socket path keys by netns cookie").isTrue();
        assertThat(affinity.lookup(key).orElseThrow().backendId()).isEqualTo(id(byName(first), TCP));

        // Now only A in the slots; affinity to B (active, fresh) still wins ...
        flip(svcId, FE4, 8443, TCP, 1, a);
        affinity.put(key, new LbAffinityVal(System.nanoTime(), id(b, TCP)));
        assertThat(SockClient.run(cgroup, "tcp", FE4, 8443, 3)).extracting(Result::id).containsOnly("B");
        // ... an expired one does not, and is replaced ...
        affinity.put(key, new LbAffinityVal(System.nanoTime() - 31_000_000_000L, id(b, TCP)));
        assertThat(SockClient.run(cgroup, "tcp", FE4, 8443, 3)).extracting(Result::id).containsOnly("A");
        assertThat(affinity.lookup(key).orElseThrow().backendId()).isEqualTo(id(a, TCP));
        // ... and neither does one to a terminating backend.
        backend.put(id(b, TCP), backend.lookup(id(b, TCP)).orElseThrow().withState(LbMaps.BE_TERMINATING));
        try {
            affinity.put(key, new LbAffinityVal(System.nanoTime(), id(b, TCP)));
            assertThat(SockClient.run(cgroup, "tcp", FE4, 8443, 3)).extracting(Result::id).containsOnly("A");
        } finally {
            backend.put(id(b, TCP), backend.lookup(id(b, TCP)).orElseThrow().withState(LbMaps.BE_ACTIVE));
        }
    }

    @Test
    void aServiceWithoutEndpointsRefuses() {
        service(FE4, 81, TCP, LbMaps.F_REJECT, 0, 0);
        service(FE4, 81, UDP, LbMaps.F_REJECT, 0, 0);
        service(FE6, 81, TCP, LbMaps.F_REJECT, 0, 0);
        long drops = count(DropReason.DROP_NO_SERVICE_BACKEND);

        for (String[] t : new String[][] {{"tcp", FE4}, {"udp", FE4}, {"udpc", FE4}, {"tcp", FE6}}) {
            List<Result> rs = SockClient.run(cgroup, t[0], t[1], 81, 2);
            assertThat(rs).as("%s to %s", t[0], t[1]).hasSize(2).allSatisfy(r -> {
                assertThat(r.ok()).as(r.line()).isFalse();
                assertThat(r.op()).isIn("connect", "sendto");
                assertThat(r.errno()).as(r.line()).isEqualTo(ECONNREFUSED);
            });
        }
        assertThat(count(DropReason.DROP_NO_SERVICE_BACKEND) - drops).isEqualTo(8);
    }

    @Test
    void aTerminatingBackendGetsNoNewConnections() {
        int svcId = service(FE4, 8081, TCP, 0, 0, 0, a, b, c);
        assertThat(SockClient.run(cgroup, "tcp", FE4, 8081, 60)).extracting(Result::id).contains("C");
        // The control plane's step: C leaves the active slots (next generation) and turns terminating.
        flip(svcId, FE4, 8081, TCP, 1, a, b);
        backend.put(id(c, TCP), backend.lookup(id(c, TCP)).orElseThrow().withState(LbMaps.BE_TERMINATING));
        try {
            int before = c.accepted.get();
            assertThat(SockClient.run(cgroup, "tcp", FE4, 8081, 100)).allSatisfy(r -> {
                assertThat(r.ok()).as(r.line()).isTrue();
                assertThat(r.id()).isIn("A", "B");
            });
            assertThat(c.accepted.get()).isEqualTo(before);
        } finally {
            backend.put(id(c, TCP), backend.lookup(id(c, TCP)).orElseThrow().withState(LbMaps.BE_ACTIVE));
        }
    }

    @Test
    void aProcessOutsideTheCgroupIsUntouched() throws IOException {
        try (Backend direct = new Backend("direct", "127.0.0.20")) {
            String fe = direct.addr.getHostAddress();
            service(fe, direct.tcpPort(), TCP, 0, 0, 0, d);
            service(fe, direct.udpPort(), UDP, 0, 0, 0, d);
            assertThat(SockClient.run(cgroup, "tcp", fe, direct.tcpPort(), 3)).extracting(Result::id).containsOnly("D");
            assertThat(SockClient.run(cgroup, "udp", fe, direct.udpPort(), 3)).extracting(Result::id).containsOnly("D");
            assertThat(SockClient.run(null, "tcp", fe, direct.tcpPort(), 3)).extracting(Result::id).containsOnly("direct");
            assertThat(SockClient.run(null, "udp", fe, direct.udpPort(), 3)).extracting(Result::id).containsOnly("direct");
            assertThat(direct.accepted.get()).isEqualTo(3);
        }
    }

    @Test
    void aGenerationFlipSwitchesTheBackendSetAtOnce() throws Exception {
        int svcId = service(FE4, 8082, TCP, 0, 0, 0, a, b);
        List<String> ids = new ArrayList<>();
        Process p = new ProcessBuilder(SockClient.BINARY.toAbsolutePath().toString(), "--cgroup", cgroup.toString(),
                "tcp", FE4, "8082", "600").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int flippedAt = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                Result r = Result.parse(line);
                assertThat(r.ok()).as(line).isTrue();
                ids.add(r.id());
                if (ids.size() == 150) {
                    flip(svcId, FE4, 8082, TCP, 1, c, d);
                    flippedAt = ids.size();
                }
            }
        }
        assertThat(p.waitFor()).isZero();
        assertThat(ids).hasSize(600);
        int firstNew = ids.indexOf("C") < 0 ? ids.indexOf("D")
                : ids.indexOf("D") < 0 ? ids.indexOf("C") : Math.min(ids.indexOf("C"), ids.indexOf("D"));
        assertThat(firstNew).as("first connection to the new set").isGreaterThanOrEqualTo(flippedAt - 1);
        assertThat(ids.subList(0, firstNew)).containsOnly("A", "B");
        assertThat(ids.subList(firstNew, ids.size())).as("after the flip, only the new generation")
                .containsOnly("C", "D").contains("C", "D");
        assertThat(slot.keys()).as("old generation removed").noneMatch(k -> k.svcId() == svcId && k.gen() == 0);
    }

    // ---- control-plane stand-in ----

    Backend backend(String name, String address) {
        Backend be = new Backend(name, address);
        backends.add(be);
        for (int proto : new int[] {TCP, UDP}) {
            int id = nextBackendId++;
            backendIds.put(name + "/" + proto, id);
            backend.put(id, LbBackend.of(be.addr, proto == TCP ? be.tcpPort() : be.udpPort(), proto, LbMaps.BE_ACTIVE));
        }
        return be;
    }

    Backend byName(String name) {
        return backends.stream().filter(x -> x.name.equals(name)).findFirst().orElseThrow();
    }

    int id(Backend be, int proto) {
        return backendIds.get(be.name + "/" + proto);
    }

    /** A service with generation 0 slots 1..n for the backends; returns its id. */
    int service(String fe, int port, int proto, int flags, int affinityS, int maglevM, Backend... set) {
        int svcId = nextSvcId++;
        writeSlots(svcId, 0, proto, set);
        svc.put(LbSvcKey.of(addr(fe), port, proto, LbMaps.SCOPE_ANY),
                new LbSvcVal(svcId, svcId, set.length, flags, 0, affinityS, maglevM));
        return svcId;
    }

    void maglevService(String fe, int port, int proto, int m, Backend[] table, Backend[] set) {
        int svcId = nextSvcId++;
        writeSlots(svcId, 0, proto, set);
        for (int i = 0; i < m; i++) {
            maglev.put(new LbMaglevKey(svcId, i, 0), id(table[i], proto));
        }
        svc.put(LbSvcKey.of(addr(fe), port, proto, LbMaps.SCOPE_ANY),
                new LbSvcVal(svcId, svcId, set.length, LbMaps.F_MAGLEV, 0, 0, m));
    }

    /** The contract's update: new slots under the idle generation, one lb_svc update, old slots deleted. */
    void flip(int svcId, String fe, int port, int proto, int gen, Backend... set) {
        writeSlots(svcId, gen, proto, set);
        LbSvcKey key = LbSvcKey.of(addr(fe), port, proto, LbMaps.SCOPE_ANY);
        svc.put(key, svc.lookup(key).orElseThrow().withGeneration(gen, set.length));
        slot.deleteBatch(slot.keys().stream().filter(k -> k.svcId() == svcId && k.gen() != gen).toList());
    }

    void writeSlots(int svcId, int gen, int proto, Backend... set) {
        for (int i = 0; i < set.length; i++) {
            slot.put(new LbSlotKey(svcId, i + 1, gen), id(set[i], proto));
        }
    }

    long count(DropReason r) {
        Counter sum = stats.lookupSum(r.code(), Counter::plus);
        return sum == null ? 0 : sum.packets();
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** The cgroup2 mount point from /proc/mounts, or null. */
    static Path cgroup2() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
            String[] f = line.split(" ");
            if (f.length > 2 && f[2].equals("cgroup2")) {
                return Path.of(f[1]);
            }
        }
        return null;
    }
}
