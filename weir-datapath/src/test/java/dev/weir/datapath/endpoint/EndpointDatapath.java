package dev.weir.datapath.endpoint;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.RingBufferReader;
import dev.weir.ebpf.TestRun;
import dev.weir.testkit.Frames;

/**
 * Test fixture: the endpoint object loaded into the kernel (small maps, nothing pinned), its maps typed
 * through the codecs, and BPF_PROG_TEST_RUN of both programs. Closing it frees every kernel object.
 *
 * <p>BPF_PROG_TEST_RUN gives a SCHED_CLS program an skb on the loopback device of the caller's network
 * namespace unless a {@code struct __sk_buff} ctx_in names another ifindex, and weir-ebpf's
 * {@code TestRun} has no ctx_in. So {@code skb->ifindex} is always lo's index here: the fixture
 * writes the endpoint under test at that index before each run ({@link #from}, {@link #to}), which
 * lets one test play several pods in turn.
 */
final class EndpointDatapath implements AutoCloseable {

    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;

    private static final ObjectSpec SPEC = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));

    final int ifindex = NetInterface.index("lo");
    final BpfObject obj;
    final BpfProgram fromEp;
    final BpfProgram toEp;
    final BpfMap<Integer, EpInfo> endpoints;
    final BpfMap<IpcacheKey, IpcacheVal> ipcache;
    final BpfMap<PolKey, PolVal> pol;
    final BpfMap<CtKey, CtVal> ct;
    final BpfMap<EpFragKey, EpFragVal> frag;
    final BpfMap<Integer, EpCfg> cfg;
    final BpfPerCpuMap<Integer, Counter> stats;
    /** Service maps, raw bytes (test-local codecs in {@link LbTc}). */
    final BpfMap<byte[], byte[]> lbSvc;
    final BpfMap<byte[], byte[]> lbSlot;
    final BpfMap<Integer, byte[]> lbBackend;
    final BpfMap<Integer, byte[]> lbRevnat;
    final BpfMap<byte[], byte[]> lbAffinity;
    final BpfMap<byte[], byte[]> lbMaglev;
    final BpfMap<dev.weir.datapath.nodeport.LbSrcRangeKey, Integer> srcRange;
    private final RingBufferReader events;
    private final List<FlowEvent> received = new ArrayList<>();

    EndpointDatapath() {
        this(64, 64 * 1024);
    }

    EndpointDatapath(int ctEntries, int eventBytes) {
        this(SPEC, ctEntries, eventBytes);
    }

    /** The same program built otherwise ({@code bpf/test/}: e.g. tc_endpoint_hash_ct). */
    EndpointDatapath(String object, int ctEntries, int eventBytes) {
        this(ObjectSpec.read(object, Datapath.object(object)), ctEntries, eventBytes);
    }

    private EndpointDatapath(ObjectSpec spec, int ctEntries, int eventBytes) {
        LoadOptions opts = LoadOptions.builder()
                .maxEntries(EndpointMaps.EP_BY_IFINDEX, 16)
                .maxEntries(EndpointMaps.IPCACHE, 64)
                .maxEntries(EndpointMaps.POL, 256)
                .maxEntries(EndpointMaps.CT, ctEntries)
                .maxEntries(EndpointMaps.FRAG, 64)
                .maxEntries(EndpointMaps.FLOW_EVENTS, eventBytes)
                .maxEntries(LbTc.SVC, 16)
                .maxEntries(LbTc.SLOT, 64)
                .maxEntries(LbTc.BACKEND, 16)
                .maxEntries(LbTc.REVNAT, 16)
                .maxEntries(LbTc.AFFINITY, 16)
                .maxEntries(LbTc.MAGLEV, 64)
                .build();
        obj = BpfObject.load(spec, opts);
        try {
            fromEp = obj.program(EndpointMaps.FROM_EP);
            toEp = obj.program(EndpointMaps.TO_EP);
            endpoints = obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
            ipcache = obj.map(EndpointMaps.IPCACHE, IpcacheKey.CODEC, IpcacheVal.CODEC);
            pol = obj.map(EndpointMaps.POL, PolKey.CODEC, PolVal.CODEC);
            ct = obj.map(EndpointMaps.CT, CtKey.CODEC, CtVal.CODEC);
            frag = obj.map(EndpointMaps.FRAG, EpFragKey.CODEC, EpFragVal.CODEC);
            cfg = obj.map(EndpointMaps.CFG, Codec.u32(), EpCfg.CODEC);
            stats = obj.perCpuMap(EndpointMaps.STATS, Codec.u32(), Counter.CODEC);
            lbSvc = obj.map(LbTc.SVC, Codec.bytes(20), Codec.bytes(28));
            lbSlot = obj.map(LbTc.SLOT, Codec.bytes(8), Codec.bytes(4));
            lbBackend = obj.map(LbTc.BACKEND, Codec.u32(), Codec.bytes(24));
            lbRevnat = obj.map(LbTc.REVNAT, Codec.u32(), Codec.bytes(20));
            lbAffinity = obj.map(LbTc.AFFINITY, Codec.bytes(20), Codec.bytes(16));
            lbMaglev = obj.map(LbTc.MAGLEV, Codec.bytes(12), Codec.bytes(4));
            srcRange = obj.map(dev.weir.datapath.nodeport.NodePortMaps.SRC_RANGE, dev.weir.datapath.nodeport.LbSrcRangeKey.CODEC,
                    Codec.u8());
            events = RingBufferReader.open(obj.map(EndpointMaps.FLOW_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                    seg -> received.add(FlowEvent.decode(seg)));
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    /** Runs a frame the pod {@code ep} sends (weir_from_ep, its egress); returns the TC action. */
    int from(EpInfo ep, byte[] frame) {
        endpoints.put(ifindex, ep);
        return fromEp.testRun(TestRun.of(frame)).retval();
    }

    /** Runs a frame sent to the pod {@code ep} (weir_to_ep, its ingress); returns the TC action. */
    int to(EpInfo ep, byte[] frame) {
        endpoints.put(ifindex, ep);
        return toEp.testRun(TestRun.of(frame)).retval();
    }

    /** As {@link #from}, with the packet as the program left it. */
    TestRun.Result fromRun(EpInfo ep, byte[] frame) {
        endpoints.put(ifindex, ep);
        return fromEp.testRun(TestRun.of(frame));
    }

    /** As {@link #to}, with the packet as the program left it. */
    TestRun.Result toRun(EpInfo ep, byte[] frame) {
        endpoints.put(ifindex, ep);
        return toEp.testRun(TestRun.of(frame));
    }

    /** Runs through a program with whatever ep_by_ifindex holds. */
    int run(BpfProgram prog, byte[] frame) {
        return prog.testRun(TestRun.of(frame)).retval();
    }

    void identity(String cidr, int identity) {
        String[] p = cidr.split("/");
        ipcache.put(IpcacheKey.of(Frames.ip(p[0]), Integer.parseInt(p[1])), IpcacheVal.of(identity));
    }

    void allow(PolKey k, int rule) {
        pol.put(k, PolVal.allow(k, rule));
    }

    void deny(PolKey k, int rule) {
        pol.put(k, PolVal.deny(k, rule));
    }

    PolVal entry(PolKey k) {
        return pol.lookup(k).orElseThrow(() -> new AssertionError("no pol entry " + k));
    }

    Optional<CtVal> ct(CtKey k) {
        return ct.lookup(k);
    }

    long packets(DropReason r) {
        Counter c = stats.lookupSum(r.code(), Counter::plus);
        return c == null ? 0 : c.packets();
    }

    long bytes(DropReason r) {
        Counter c = stats.lookupSum(r.code(), Counter::plus);
        return c == null ? 0 : c.bytes();
    }

    /** Reasons with packets counted, summed over CPUs. */
    Map<DropReason, Long> nonZeroStats() {
        Map<DropReason, Long> out = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            long n = packets(r);
            if (n != 0) {
                out.put(r, n);
            }
        }
        return out;
    }

    /** Verdict reasons only (without the EVENTS_* bookkeeping). */
    Map<DropReason, Long> verdicts() {
        Map<DropReason, Long> out = nonZeroStats();
        out.keySet().removeIf(r -> !r.isVerdict());
        return out;
    }

    /** Events written since the last call. */
    List<FlowEvent> drainEvents() {
        events.drain();
        List<FlowEvent> out = List.copyOf(received);
        received.clear();
        return out;
    }

    /** The one event written since the last call. */
    FlowEvent onlyEvent() {
        List<FlowEvent> all = drainEvents();
        if (all.size() != 1) {
            throw new AssertionError("expected one event, got " + all);
        }
        return all.getFirst();
    }

    @Override
    public void close() {
        try {
            events.close();
        } finally {
            obj.close();
        }
    }
}
