package dev.weir.datapath.prefilter;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.CtKey;
import dev.weir.datapath.endpoint.CtVal;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.RingBufferReader;
import dev.weir.ebpf.TestRun;

/**
 * Test fixture: the prefilter object loaded into the kernel (small maps, nothing pinned), its maps
 * typed through the codecs, and BPF_PROG_TEST_RUN. Closing it frees every kernel object.
 */
final class Prefilter implements AutoCloseable {

    static final int XDP_DROP = 1;
    static final int XDP_PASS = 2;
    static final int XDP_REDIRECT = 4;

    private static final ObjectSpec SPEC = ObjectSpec.read(PrefilterMaps.OBJECT, Datapath.object(PrefilterMaps.OBJECT));

    final BpfObject obj;
    final BpfProgram prog;
    final BpfMap<Integer, Integer> active;
    final BpfMap<Integer, PfCfg> cfg;
    final List<BpfMap<PfLpm4Key, PfPrefixValue>> src4 = new ArrayList<>();
    final List<BpfMap<PfLpm4Key, PfPrefixValue>> dst4 = new ArrayList<>();
    final List<BpfMap<PfLpm6Key, PfPrefixValue>> src6 = new ArrayList<>();
    final List<BpfMap<PfLpm6Key, PfPrefixValue>> dst6 = new ArrayList<>();
    final List<BpfMap<PfNetKey, PfPrefixValue>> snet4 = new ArrayList<>();
    final List<BpfMap<PfNetKey, PfPrefixValue>> dnet4 = new ArrayList<>();
    final List<BpfMap<PfNetKey, PfPrefixValue>> snet6 = new ArrayList<>();
    final List<BpfMap<PfNetKey, PfPrefixValue>> dnet6 = new ArrayList<>();
    final List<BpfMap<Integer, Long>> port = new ArrayList<>();
    final List<BpfMap<Integer, Long>> proto = new ArrayList<>();
    final BpfMap<PfAddr, PfBucket> rate;
    final BpfMap<PfFragKey, PfFragVal> frag;
    final BpfPerCpuMap<Integer, PfCounter> stats;
    final BpfPerCpuMap<Integer, PfCounter> dry;
    final BpfPerCpuMap<Integer, PfCounter> hits;
    final BpfPerCpuMap<Integer, Long> sample;
    final BpfMap<PfAddr, PfRdrEp> rdrEp;
    final BpfMap<Integer, Integer> devmap;
    final BpfMap<Integer, PfRdrIf> rdrIf;
    final BpfPerCpuMap<Integer, PfCounter> rdrStats;
    final BpfMap<Integer, EpInfo> epByIfindex;
    final BpfMap<PolKey, PolVal> pol;
    final BpfMap<CtKey, CtVal> ct;
    private final RingBufferReader events;
    private final List<PfEvent> received = new ArrayList<>();

    Prefilter() {
        LoadOptions opts = LoadOptions.builder()
                .maxEntries(PrefilterMaps.HITS, 1024)
                .maxEntries(PrefilterMaps.RATE, 1024)
                .maxEntries(PrefilterMaps.EVENTS, 64 * 1024)
                .build();
        obj = BpfObject.load(SPEC, opts);
        try {
            prog = obj.program(PrefilterMaps.PROGRAM);
            active = obj.map(PrefilterMaps.ACTIVE, Codec.u32(), Codec.u32());
            cfg = obj.map(PrefilterMaps.CFG, Codec.u32(), PfCfg.CODEC);
            for (int g = 0; g < 2; g++) {
                src4.add(obj.map(PrefilterMaps.src4(g), PfLpm4Key.CODEC, PfPrefixValue.CODEC));
                dst4.add(obj.map(PrefilterMaps.dst4(g), PfLpm4Key.CODEC, PfPrefixValue.CODEC));
                src6.add(obj.map(PrefilterMaps.src6(g), PfLpm6Key.CODEC, PfPrefixValue.CODEC));
                dst6.add(obj.map(PrefilterMaps.dst6(g), PfLpm6Key.CODEC, PfPrefixValue.CODEC));
                snet4.add(obj.map(PrefilterMaps.snet4(g), PfNetKey.CODEC4, PfPrefixValue.CODEC));
                dnet4.add(obj.map(PrefilterMaps.dnet4(g), PfNetKey.CODEC4, PfPrefixValue.CODEC));
                snet6.add(obj.map(PrefilterMaps.snet6(g), PfNetKey.CODEC6, PfPrefixValue.CODEC));
                dnet6.add(obj.map(PrefilterMaps.dnet6(g), PfNetKey.CODEC6, PfPrefixValue.CODEC));
                port.add(obj.map(PrefilterMaps.port(g), Codec.u32(), Codec.u64()));
                proto.add(obj.map(PrefilterMaps.proto(g), Codec.u32(), Codec.u64()));
            }
            rate = obj.map(PrefilterMaps.RATE, PfAddr.CODEC, PfBucket.CODEC);
            frag = obj.map(PrefilterMaps.FRAG, PfFragKey.CODEC, PfFragVal.CODEC);
            stats = obj.perCpuMap(PrefilterMaps.STATS, Codec.u32(), PfCounter.CODEC);
            dry = obj.perCpuMap(PrefilterMaps.DRY, Codec.u32(), PfCounter.CODEC);
            hits = obj.perCpuMap(PrefilterMaps.HITS, Codec.u32(), PfCounter.CODEC);
            sample = obj.perCpuMap(PrefilterMaps.SAMPLE, Codec.u32(), Codec.u64());
            rdrEp = obj.map(PrefilterMaps.RDR_EP, PfAddr.CODEC, PfRdrEp.CODEC);
            devmap = obj.map(PrefilterMaps.DEVMAP, Codec.u32(), Codec.u32());
            rdrIf = obj.map(PrefilterMaps.RDR_IF, Codec.u32(), PfRdrIf.CODEC);
            rdrStats = obj.perCpuMap(PrefilterMaps.RDR_STATS, Codec.u32(), PfCounter.CODEC);
            epByIfindex = obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
            pol = obj.map(EndpointMaps.POL, PolKey.CODEC, PolVal.CODEC);
            ct = obj.map(EndpointMaps.CT, CtKey.CODEC, CtVal.CODEC);
            events = RingBufferReader.open(obj.map(PrefilterMaps.EVENTS, Codec.bytes(0), Codec.bytes(0)),
                    seg -> received.add(PfEvent.decode(seg)));
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    /** Runs one packet; the XDP verdict and the packet as the program left it. */
    TestRun.Result runFull(byte[] packet) {
        return prog.testRun(TestRun.of(packet));
    }

    /** Packets the redirect stage counted under {@code what} ({@code PrefilterMaps.RDR_*}), summed over CPUs. */
    long redirectStat(int what) {
        return rdrStats.lookupSum(what, PfCounter::plus).packets();
    }

    /** Runs one packet; returns the XDP verdict. */
    int run(byte[] packet) {
        return prog.testRun(TestRun.of(packet)).retval();
    }

    PfCounter stat(DropReason r) {
        return stats.lookupSum(r.code(), PfCounter::plus);
    }

    long packets(DropReason r) {
        return stat(r).packets();
    }

    /** Packets that passed in dry run but would have been dropped for r, summed over CPUs. */
    long wouldDrop(DropReason r) {
        return dry.lookupSum(r.code(), PfCounter::plus).packets();
    }

    /** Frames counted per reason code (every code 0..255, also unknown ones), summed over CPUs. */
    long[] packetsByCode() {
        long[] out = new long[DropReason.MAX];
        for (int code = 0; code < DropReason.MAX; code++) {
            out[code] = stats.lookupSum(code, PfCounter::plus).packets();
        }
        return out;
    }

    Map<DropReason, Long> nonZeroStats() {
        Map<DropReason, Long> out = new EnumMap<>(DropReason.class);
        long[] all = packetsByCode();
        for (DropReason r : DropReason.values()) {
            if (all[r.code()] != 0) {
                out.put(r, all[r.code()]);
            }
        }
        return out;
    }

    long hits(int rule) {
        return hits.lookupSum(rule, PfCounter::plus).packets();
    }

    /** Events written since the last call. */
    List<PfEvent> drainEvents() {
        events.drain();
        List<PfEvent> out = List.copyOf(received);
        received.clear();
        return out;
    }

    /** Drops sampled so far, summed over CPUs' sequences. */
    List<Long> sampleSequences() {
        return sample.lookupPerCpu(0);
    }

    /** Sets generation g's config. */
    void cfg(int g, PfCfg c) {
        cfg.put(g, c);
    }

    void activate(int g) {
        active.put(0, g);
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
