package dev.weir.datapath.sockmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.Mem;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.CtKey;
import dev.weir.datapath.endpoint.CtVal;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.CgroupLink;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.ProgramInfo;
import dev.weir.ebpf.SockmapLink;
import dev.weir.testkit.Requirements;

/**
 * {@code sockmap.o} on a cgroup of the test's own, with real sockets on loopback: {@code tcpecho} server and
 * session processes moved into that cgroup, 127.0.0.1 named a local pod (endpoint 1 at ifindex 1) in
 * {@code sockmap_ep}, the conntrack entries and policy written by the test. A connection is redirected only
 * while its two conntrack entries are there and the endpoint's policy allows it; once a message went by the
 * stack, the rest of the connection does too. Cleans up: processes, links, cgroup, programs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SockmapKernelTest {

    private static final Path TCPECHO = Path.of("target", "tcpecho");
    private static final byte[] LOOPBACK = Mem.mapped(InetAddress.ofLiteral("127.0.0.1"));
    private static final int IDENTITY = 300;

    BpfObject obj;
    Path cgroup;
    final List<AutoCloseable> links = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    Set<Integer> programIds;
    BpfMap<CtKey, CtVal> ct;
    BpfMap<Integer, EpInfo> endpoints;
    BpfPerCpuMap<Integer, Counter> stats;
    int port;

    @BeforeAll
    void setUp() throws Exception {
        Requirements.root();
        Path cgroup2 = Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
                .filter(f -> f.length > 2 && f[2].equals("cgroup2")).map(f -> Path.of(f[1])).findFirst().orElse(null);
        Requirements.require(cgroup2 != null, "needs a cgroup2 mount (none in /proc/mounts)");
        Requirements.require(Files.isExecutable(TCPECHO), "needs " + TCPECHO.toAbsolutePath() + " (the test build's compile-test-tcpecho step)");
        obj = BpfObject.load(ObjectSpec.read(SockmapMaps.OBJECT, Datapath.object(SockmapMaps.OBJECT)));
        programIds = Set.of(obj.program(SockmapMaps.SOCKOPS).id(), obj.program(SockmapMaps.SK_MSG).id());
        ct = obj.map(EndpointMaps.CT, CtKey.CODEC, CtVal.CODEC);
        endpoints = obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
        stats = obj.perCpuMap(SockmapMaps.STATS, Codec.u32(), Counter.CODEC);
        obj.map(SockmapMaps.EP, Codec.bytes(16), SockEp.CODEC).put(LOOPBACK, new SockEp(1, 1));
        endpoints.put(1, new EpInfo(1, IDENTITY, 0, 0));

        cgroup = cgroup2.resolve("weir-sockmap-test-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(cgroup);
        links.add(CgroupLink.attach(obj.program(SockmapMaps.SOCKOPS), cgroup, AttachType.CGROUP_SOCK_OPS));
        links.add(SockmapLink.attach(obj.program(SockmapMaps.SK_MSG), obj.map(SockmapMaps.SOCKS, SockKey.CODEC, Codec.u64()),
                AttachType.SK_MSG_VERDICT));

        port = 20000 + (int) (ProcessHandle.current().pid() % 20000);
        Process server = inCgroup("server", Integer.toString(port));
        String first = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(first).isEqualTo("listening " + port);
    }

    @AfterAll
    void tearDown() throws Exception {
        processes.forEach(Process::destroyForcibly);
        for (Process p : processes) {
            p.waitFor();
        }
        for (AutoCloseable l : links) {
            l.close();
        }
        if (cgroup != null) {
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
        }
        if (obj != null) {
            obj.close();
            // the kernel lets go of a sockmap link's program after an RCU grace period: wait for it, bounded
            Set<Integer> loaded = Set.of();
            for (int i = 0; i < 100; i++) {
                loaded = BpfSystem.programs().stream().map(ProgramInfo::id).collect(Collectors.toSet());
                if (programIds.stream().noneMatch(loaded::contains)) {
                    break;
                }
                Thread.sleep(50);
            }
            assertThat(programIds).as("sockmap programs still loaded").noneMatch(loaded::contains);
        }
    }

    @Test
    void allowedByConntrackAndPolicyTheMessagesGoSocketToSocket() throws Exception {
        try (Session s = session()) {
            allow(s.port());
            long redirected = packets(DropReason.PASS_SOCKMAP);
            assertThat(s.send(100_000)).isEqualTo("ok 100000");
            assertThat(packets(DropReason.PASS_SOCKMAP) - redirected).as("the mode byte, the data and its echo").isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void withoutConntrackEntriesNothingIsRedirected() throws Exception {
        try (Session s = session()) {
            long redirected = packets(DropReason.PASS_SOCKMAP);
            long stack = packets(DropReason.PASS);
            assertThat(s.send(1000)).isEqualTo("ok 1000");
            assertThat(packets(DropReason.PASS_SOCKMAP)).isEqualTo(redirected);
            assertThat(packets(DropReason.PASS)).isGreaterThan(stack);
            allow(s.port());
            assertThat(s.send(1000)).as("entries written later: the connection stays on the stack").isEqualTo("ok 1000");
            assertThat(packets(DropReason.PASS_SOCKMAP)).isEqualTo(redirected);
        }
    }

    @Test
    void aDenyingPolicyOrAForgottenConnectionStopsTheRedirect() throws Exception {
        for (String change : List.of("deny", "forget")) {
            try (Session s = session()) {
                allow(s.port());
                assertThat(s.send(1000)).isEqualTo("ok 1000");
                long redirected = packets(DropReason.PASS_SOCKMAP);
                if (change.equals("deny")) {
                    endpoints.put(1, new EpInfo(1, IDENTITY, EpInfo.INGRESS_ENFORCED, 0));
                } else {
                    ct.delete(key(s.port(), EndpointMaps.DIR_INGRESS));
                }
                try {
                    assertThat(s.send(1000)).as(change + ": bytes go by the stack").isEqualTo("ok 1000");
                    assertThat(packets(DropReason.PASS_SOCKMAP)).as(change).isEqualTo(redirected);
                } finally {
                    endpoints.put(1, new EpInfo(1, IDENTITY, 0, 0));
                }
                allow(s.port());
                assertThat(s.send(1000)).as(change + ": allowed again, but once by the stack, always").isEqualTo("ok 1000");
                assertThat(packets(DropReason.PASS_SOCKMAP)).as(change).isEqualTo(redirected);
            }
        }
    }

    /** The client's egress and the server's ingress entry of 127.0.0.1:clientPort -> 127.0.0.1:port, established. */
    private void allow(int clientPort) {
        CtVal v = new CtVal(System.nanoTime() + 3_600_000_000_000L, System.nanoTime(), 1, 60, 1, 60, IDENTITY, 0,
                2, 0, 0x12, 0, 0, 0);
        ct.put(key(clientPort, EndpointMaps.DIR_EGRESS), v);
        ct.put(key(clientPort, EndpointMaps.DIR_INGRESS), v);
    }

    private CtKey key(int clientPort, int dir) {
        return new CtKey(LOOPBACK, LOOPBACK, clientPort, port, 6, dir, 1);
    }

    private long packets(DropReason r) {
        return stats.lookupPerCpu(r.code()).stream().mapToLong(Counter::packets).sum();
    }

    private Process inCgroup(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec \"$@\"", "sh",
                TCPECHO.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    private Session session() throws IOException {
        Process p = inCgroup("session", "127.0.0.1", Integer.toString(port), "3000");
        Session s = new Session(p, new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8),
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        String connected = s.out.readLine();
        assertThat(connected).startsWith("connected ");
        return new Session(p, s.in, s.out, Integer.parseInt(connected.substring("connected ".length())));
    }

    /** A {@code tcpecho session}, driven line by line. */
    private record Session(Process process, Writer in, BufferedReader out, int port) implements AutoCloseable {

        Session(Process process, Writer in, BufferedReader out) {
            this(process, in, out, 0);
        }

        String send(int n) throws IOException {
            in.write(n + "\n");
            in.flush();
            return out.readLine();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }
}
