package dev.weir.datapath.endpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.nodeport.LbSrcRangeKey;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.datapath.nodeport.NpCfg;
import dev.weir.datapath.nodeport.NpCtKey;
import dev.weir.datapath.nodeport.NpCtVal;
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

/**
 * Test fixture: {@code tc_endpoint.o} and {@code nodeport.o} loaded as the agent loads them, with their maps
 * pinned in a fresh directory of bpffs so that the second object reuses the first one's shared maps by name
 * ({@code np_ct}, {@code ep_cfg}, the LB maps). Closing it frees every kernel object and removes the pins.
 * {@code skb->ifindex} is lo's, as in {@link EndpointDatapath}.
 */
final class NodePortDatapath implements AutoCloseable {

    private static final ObjectSpec EP_SPEC = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
    private static final ObjectSpec NP_SPEC = ObjectSpec.read(NodePortMaps.OBJECT, Datapath.object(NodePortMaps.OBJECT));

    final int ifindex = NetInterface.index("lo");
    final Path pins = Path.of("/sys/fs/bpf", "weir-nptest-" + UUID.randomUUID().toString().substring(0, 8));
    final BpfObject ep;
    final BpfObject np;
    final BpfProgram fromNetdev;
    final BpfProgram fromEp;
    final BpfProgram toEp;
    final BpfMap<Integer, EpInfo> endpoints;
    final BpfMap<IpcacheKey, IpcacheVal> ipcache;
    final BpfPerCpuMap<Integer, Counter> epStats;
    final BpfPerCpuMap<Integer, Counter> npStats;
    final BpfMap<NpCtKey, NpCtVal> npCt;
    final BpfMap<EpFragKey, dev.weir.datapath.nodeport.NpFragVal> npFrag;
    final BpfMap<Integer, NpCfg> npCfg;
    final BpfMap<LbSrcRangeKey, Integer> srcRange;
    final BpfMap<byte[], byte[]> lbSvc;
    final BpfMap<byte[], byte[]> lbSlot;
    final BpfMap<Integer, byte[]> lbBackend;
    final BpfMap<Integer, byte[]> lbRevnat;
    private final RingBufferReader events;
    private final java.util.List<FlowEvent> received = new java.util.ArrayList<>();

    NodePortDatapath() {
        try {
            Files.createDirectory(pins);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        BpfObject e = null;
        try {
            e = BpfObject.load(EP_SPEC, options(true));
            ep = e;
            np = BpfObject.load(NP_SPEC, options(false));
        } catch (RuntimeException ex) {
            if (e != null) {
                e.close();
            }
            removePins();
            throw ex;
        }
        fromNetdev = np.program(NodePortMaps.FROM_NETDEV);
        fromEp = ep.program(EndpointMaps.FROM_EP);
        toEp = ep.program(EndpointMaps.TO_EP);
        endpoints = ep.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
        ipcache = ep.map(EndpointMaps.IPCACHE, IpcacheKey.CODEC, IpcacheVal.CODEC);
        epStats = ep.perCpuMap(EndpointMaps.STATS, Codec.u32(), Counter.CODEC);
        npStats = np.perCpuMap(NodePortMaps.STATS, Codec.u32(), Counter.CODEC);
        npCt = np.map(NodePortMaps.CT, NpCtKey.CODEC, NpCtVal.CODEC);
        npFrag = np.map(NodePortMaps.FRAG, EpFragKey.CODEC, dev.weir.datapath.nodeport.NpFragVal.CODEC);
        npCfg = np.map(NodePortMaps.CFG, Codec.u32(), NpCfg.CODEC);
        srcRange = np.map(NodePortMaps.SRC_RANGE, LbSrcRangeKey.CODEC, Codec.u8());
        lbSvc = np.map(LbTc.SVC, Codec.bytes(20), Codec.bytes(28));
        lbSlot = np.map(LbTc.SLOT, Codec.bytes(8), Codec.bytes(4));
        lbBackend = np.map(LbTc.BACKEND, Codec.u32(), Codec.bytes(24));
        lbRevnat = np.map(LbTc.REVNAT, Codec.u32(), Codec.bytes(20));
        events = RingBufferReader.open(ep.map(EndpointMaps.FLOW_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                seg -> received.add(FlowEvent.decode(seg)));
    }

    /** The flow events written since the last call (both objects write the endpoint object's ring). */
    java.util.List<FlowEvent> drainEvents() {
        events.drain();
        java.util.List<FlowEvent> out = java.util.List.copyOf(received);
        received.clear();
        return out;
    }

    /** Small maps, the shared ones the same size in both objects. */
    private LoadOptions options(boolean endpoint) {
        LoadOptions.Builder b = LoadOptions.builder().pinDirectory(pins).reusePinned(true)
                .maxEntries(NodePortMaps.CT, 64)
                .maxEntries(NodePortMaps.FRAG, 16)
                .maxEntries(LbTc.SVC, 16)
                .maxEntries(LbTc.SLOT, 64)
                .maxEntries(LbTc.BACKEND, 16)
                .maxEntries(LbTc.REVNAT, 16)
                .maxEntries(LbTc.AFFINITY, 16)
                .maxEntries(LbTc.MAGLEV, 64)
                .maxEntries("lb_sock_rev", 16)
                .maxEntries(EndpointMaps.IPCACHE, 64)
                .maxEntries(EndpointMaps.FLOW_EVENTS, 64 * 1024)
                .maxEntries(NodePortMaps.SRC_RANGE, 16);
        if (endpoint) {
            b.maxEntries(EndpointMaps.EP_BY_IFINDEX, 16)
                    .maxEntries(EndpointMaps.POL, 64)
                    .maxEntries(EndpointMaps.CT, 64)
                    .maxEntries(EndpointMaps.FRAG, 64);
        }
        return b.build();
    }

    /** A frame arriving on the underlay (weir_from_netdev). */
    TestRun.Result underlay(byte[] frame) {
        return fromNetdev.testRun(TestRun.of(frame));
    }

    /** A frame sent to the pod {@code e} (weir_to_ep). */
    TestRun.Result to(EpInfo e, byte[] frame) {
        endpoints.put(ifindex, e);
        return toEp.testRun(TestRun.of(frame));
    }

    /** A frame the pod {@code e} sends (weir_from_ep). */
    TestRun.Result from(EpInfo e, byte[] frame) {
        endpoints.put(ifindex, e);
        return fromEp.testRun(TestRun.of(frame));
    }

    long npPackets(DropReason r) {
        Counter c = npStats.lookupSum(r.code(), Counter::plus);
        return c == null ? 0 : c.packets();
    }

    long epPackets(DropReason r) {
        Counter c = epStats.lookupSum(r.code(), Counter::plus);
        return c == null ? 0 : c.packets();
    }

    @Override
    public void close() {
        try {
            events.close();
            np.close();
        } finally {
            ep.close();
            removePins();
        }
    }

    private void removePins() {
        if (!Files.exists(pins)) {
            return;
        }
        try (Stream<Path> s = Files.walk(pins)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
