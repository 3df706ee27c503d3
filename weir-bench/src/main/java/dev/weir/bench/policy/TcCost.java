package dev.weir.bench.policy;

import static dev.weir.bench.policy.TcFrames.ACK;
import static dev.weir.bench.policy.TcFrames.SYN;
import static dev.weir.bench.policy.TcRunner.TC_ACT_OK;
import static dev.weir.bench.policy.TcRunner.TC_ACT_SHOT;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.bench.prefilter.Runner;
import dev.weir.bench.prefilter.Stat;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpCfg;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ObjectSpec;

/**
 * Per-packet cost of {@code weir_to_ep} (the pod's ingress) through {@code BPF_PROG_TEST_RUN}: two copies
 * of {@code tc_endpoint.o}, one with empty maps and an endpoint that no policy selects, one with
 * {@value #IDENTITIES} peer identities in {@code ipcache} and {@value #ENTRIES} {@code pol} entries for an
 * ingress-enforced endpoint; and {@code tc_ok_floor.o}. Nothing is pinned or attached; closing frees
 * everything.
 *
 * <p>New connections inside one test run: every run of a repeat sees the same packet, so after the
 * first one conntrack would answer. Both copies get {@code ep_cfg.ct_syn_ns = 1}: a SYN's entry lives 1 ns,
 * so each run finds the previous run's entry expired, treats it as absent (as the datapath does), decides
 * by policy and overwrites it — a new connection every run, with one conntrack lookup that finds an
 * expired entry instead of none. Established connections are an ACK's entry (lifetime 21600 s).
 */
final class TcCost implements AutoCloseable {

    static final int IDENTITIES = 1_000;
    static final int PORTS_PER_IDENTITY = 10;
    static final int ENTRIES = IDENTITIES * PORTS_PER_IDENTITY;
    private static final int EP_ID = 20;
    private static final int EP_IDENTITY = 20_000;
    private static final int FIRST_PEER_IDENTITY = 300;
    private static final byte[] POD = TcFrames.ip4(10, 0, 0, 20);

    private final List<BpfObject> objects = new ArrayList<>();
    private final BpfObject floor;
    private final BpfObject empty;
    private final BpfObject policy;

    TcCost() {
        try {
            floor = own(BpfObject.load(ObjectSpec.read("tc_ok_floor", Datapath.object("tc_ok_floor"))));
            empty = own(load());
            policy = own(load());
            fillEmpty();
            fillPolicy();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private BpfObject own(BpfObject o) {
        objects.add(o);
        return o;
    }

    private static BpfObject load() {
        ObjectSpec spec = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        return BpfObject.load(spec, LoadOptions.builder()
                .maxEntries(EndpointMaps.EP_BY_IFINDEX, 16)
                .maxEntries(EndpointMaps.IPCACHE, 2 * IDENTITIES)
                .maxEntries(EndpointMaps.POL, 2 * ENTRIES)
                .build());
    }

    private static EpCfg newConnectionEveryRun() {
        EpCfg d = EpCfg.DEFAULTS;
        return new EpCfg(1, d.ctEstablishedNs(), d.ctClosingNs(), d.ctOtherNs(), 0);
    }

    private void fillEmpty() {
        endpoints(empty).put(NetInterface.index("lo"), new EpInfo(EP_ID, EP_IDENTITY, 0, 0));
        cfg(empty).put(0, newConnectionEveryRun());
    }

    /** Peer i: 10.1.(i / 250).(i % 250 + 1)/32, identity 300 + i; its 10 ports spread over 1024..61023. */
    private void fillPolicy() {
        BpfMap<IpcacheKey, IpcacheVal> ipcache = policy.map(EndpointMaps.IPCACHE, IpcacheKey.CODEC, IpcacheVal.CODEC);
        BpfMap<PolKey, PolVal> pol = policy.map(EndpointMaps.POL, PolKey.CODEC, PolVal.CODEC);
        for (int i = 0; i < IDENTITIES; i++) {
            ipcache.put(IpcacheKey.host(addr(peer(i))), IpcacheVal.of(FIRST_PEER_IDENTITY + i));
            for (int j = 0; j < PORTS_PER_IDENTITY; j++) {
                PolKey k = PolKey.port(EP_ID, 0, EndpointMaps.DIR_INGRESS, FIRST_PEER_IDENTITY + i, 4, 6, port(i, j));
                pol.put(k, PolVal.allow(k, i * PORTS_PER_IDENTITY + j + 1));
            }
        }
        if (pol.count() != ENTRIES || ipcache.count() != IDENTITIES) {
            throw new IllegalStateException("pol holds " + pol.count() + " entries, ipcache " + ipcache.count());
        }
        endpoints(policy).put(NetInterface.index("lo"), new EpInfo(EP_ID, EP_IDENTITY, EpInfo.INGRESS_ENFORCED, 0));
        cfg(policy).put(0, newConnectionEveryRun());
    }

    static byte[] peer(int i) {
        return TcFrames.ip4(10, 1, i / 250, i % 250 + 1);
    }

    static int port(int i, int j) {
        return 1024 + (i * 61 + j * 6007) % 60000;
    }

    /** The cases, in the order of the table. Peer 500 of the thousand talks to its 6th port. */
    List<TcRunner.TcCase> cases() {
        byte[] peer = peer(IDENTITIES / 2);
        int allowed = port(IDENTITIES / 2, 5);
        var to = EndpointMaps.TO_EP;
        BpfPerCpuMap<Integer, Counter> es = stats(empty);
        BpfPerCpuMap<Integer, Counter> ps = stats(policy);
        return List.of(
                new TcRunner.TcCase("floor", "floor (TC_ACT_OK only)", floor.program("tc_ok_floor"),
                        TcFrames.tcp4(peer, POD, 40_000, allowed, SYN), TC_ACT_OK, null, null),
                new TcRunner.TcCase("nopol.new", "no policy: new connection (tracked)", empty.program(to),
                        TcFrames.tcp4(peer, POD, 40_000, allowed, SYN), TC_ACT_OK, es, DropReason.PASS),
                new TcRunner.TcCase("nopol.est", "no policy: established (conntrack hit)", empty.program(to),
                        TcFrames.tcp4(peer, POD, 40_001, allowed, ACK), TC_ACT_OK, es, DropReason.PASS_ESTABLISHED),
                new TcRunner.TcCase("pol.new.allow", "10k entries: new connection, allowed", policy.program(to),
                        TcFrames.tcp4(peer, POD, 40_000, allowed, SYN), TC_ACT_OK, ps, DropReason.PASS_POLICY),
                new TcRunner.TcCase("pol.new.deny", "10k entries: new connection, dropped", policy.program(to),
                        TcFrames.tcp4(peer, POD, 40_002, 1, SYN), TC_ACT_SHOT, ps, DropReason.DROP_POLICY),
                new TcRunner.TcCase("pol.est", "10k entries: established (conntrack hit)", policy.program(to),
                        TcFrames.tcp4(peer, POD, 40_001, allowed, ACK), TC_ACT_OK, ps, DropReason.PASS_ESTABLISHED));
    }

    /** Measures the cases; rows with ratios to the no-policy new connection. */
    List<PolicyReport.TcRow> measure(TcRunner runner) {
        List<TcRunner.TcCase> cases = cases();
        Map<String, List<Runner.Sample>> r = runner.measure(cases);
        List<Runner.Sample> base = r.get("nopol.new");
        List<PolicyReport.TcRow> rows = new ArrayList<>();
        for (TcRunner.TcCase c : cases) {
            List<Runner.Sample> s = r.get(c.key());
            rows.add(new PolicyReport.TcRow(c.key(), c.label(), c.reason() == null ? "—" : c.reason().name(),
                    Stat.of(s), Stat.ratio(s, base)));
        }
        return rows;
    }

    /** Events the copies reported sent and lost (the ring is not drained during this benchmark). */
    long[] events() {
        long sent = 0;
        long lost = 0;
        for (BpfObject o : List.of(empty, policy)) {
            sent += sum(stats(o), DropReason.EVENTS_SENT);
            lost += sum(stats(o), DropReason.EVENTS_LOST);
        }
        return new long[] {sent, lost};
    }

    private static long sum(BpfPerCpuMap<Integer, Counter> m, DropReason r) {
        Counter c = m.lookupSum(r.code(), Counter::plus);
        return c == null ? 0 : c.packets();
    }

    private static BpfMap<Integer, EpInfo> endpoints(BpfObject o) {
        return o.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
    }

    private static BpfMap<Integer, EpCfg> cfg(BpfObject o) {
        return o.map(EndpointMaps.CFG, Codec.u32(), EpCfg.CODEC);
    }

    private static BpfPerCpuMap<Integer, Counter> stats(BpfObject o) {
        return o.perCpuMap(EndpointMaps.STATS, Codec.u32(), Counter.CODEC);
    }

    static InetAddress addr(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void close() {
        objects.reversed().forEach(BpfObject::close);
    }
}
