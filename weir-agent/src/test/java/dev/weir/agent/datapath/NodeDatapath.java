package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpCfg;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.FlowEvent;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.RingBufferReader;
import dev.weir.ebpf.TestRun;

/**
 * Test fixture: one node's {@code tc_endpoint} object (nothing pinned, nothing attached), written by the
 * agent's own {@link PolicyMapWriter} exactly as {@link KernelPolicyDataplane#apply} does — ipcache, then
 * every endpoint of this node with its generation flip — and run through BPF_PROG_TEST_RUN. Closing it
 * frees every kernel object.
 *
 * <p>The agent keys {@code ep_by_ifindex} by the endpoint's lxc interface; here endpoint {@code n} stands
 * at ifindex {@link #ifindexOf(int) 100 + n}. A test run's skb is on loopback ({@code skb->ifindex} is
 * lo's), so {@link #run} copies the endpoint's entry, as written, to lo's index before each run.
 */
final class NodeDatapath implements AutoCloseable {

    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;

    private static final ObjectSpec SPEC = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));

    final Node node;
    final KernelPolicyDataplane.NodeMaps maps;
    private final int lo = NetInterface.index("lo");
    private final BpfObject obj;
    private final BpfProgram fromEp;
    private final BpfProgram toEp;
    private final PolicyMapWriter writer;
    private final RingBufferReader events;
    private final List<FlowEvent> received = new ArrayList<>();

    NodeDatapath(Node node) {
        this.node = node;
        obj = BpfObject.load(SPEC, LoadOptions.builder().maxEntries(EndpointMaps.CT, 16384).build());
        try {
            fromEp = obj.program(EndpointMaps.FROM_EP);
            toEp = obj.program(EndpointMaps.TO_EP);
            maps = new KernelPolicyDataplane.NodeMaps(obj);
            maps.cfg.put(0, EpCfg.DEFAULTS);
            writer = new PolicyMapWriter(maps);
            events = RingBufferReader.open(obj.map(EndpointMaps.FLOW_EVENTS, Codec.bytes(0), Codec.bytes(0)),
                    seg -> received.add(FlowEvent.decode(seg)));
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    /** The ifindex this fixture gives endpoint {@code epId}'s lxc interface. */
    static int ifindexOf(int epId) {
        return 100 + epId;
    }

    /**
     * Writes a result as the agent's {@code apply} does for this node (ipcache, then each local endpoint's
     * entries and flip); drops the loopback stand-in and empties conntrack, so every later run is a new
     * connection under this result.
     */
    void apply(PolicyResult result) {
        maps.eps.delete(lo);
        writer.writeIpcache(result, node, Map.of());
        Map<Integer, Map<Integer, List<PolKey>>> current = maps.polKeysByEndpointAndGen();
        for (Endpoint ep : result.snapshot().endpoints()) {
            EndpointPolicy p = result.endpoint(ep.id());
            if (p == null || !ep.node().equals(node.name())) {
                continue;
            }
            writer.programEndpoint(ifindexOf(ep.id()), ep.id(), p, current.getOrDefault(ep.id(), Map.of()));
        }
        maps.ct.deleteBatch(maps.ct.keys());
        drain();
    }

    /**
     * What differs between the kernel's {@code pol} and what the writer means for this node: each local
     * endpoint's active generation must hold exactly {@link PolicyMapWriter#polEntries} (action and rule;
     * counters aside), and no key may belong to an endpoint that is not here. Empty when all is well.
     */
    List<String> staleOrMissing(PolicyResult result) {
        List<String> out = new ArrayList<>();
        Map<PolKey, PolVal> inKernel = maps.pol.entries();
        java.util.Set<Integer> local = new java.util.HashSet<>();
        for (Endpoint ep : result.snapshot().endpoints()) {
            if (!ep.node().equals(node.name()) || result.endpoint(ep.id()) == null) {
                continue;
            }
            local.add(ep.id());
            EpInfo info = maps.eps.lookup(ifindexOf(ep.id())).orElseThrow();
            if (!info.equals(PolicyMapWriter.epInfo(ep.id(), info.polGen(), result.endpoint(ep.id())))) {
                out.add(node.name() + " " + ep.key() + ": ep_by_ifindex holds " + info);
            }
            Map<PolKey, PolVal> want = PolicyMapWriter.polEntries(ep.id(), info.polGen(), result.endpoint(ep.id()));
            Map<PolKey, PolVal> have = new java.util.HashMap<>();
            inKernel.forEach((k, v) -> {
                if (k.epId() == ep.id() && k.gen() == info.polGen()) {
                    have.put(k, new PolVal(v.action(), v.hasL4(), v.rule(), 0, 0));
                }
            });
            if (!have.equals(want)) {
                out.add(node.name() + " " + ep.key() + " gen " + info.polGen() + ": pol holds " + have + ", writer means " + want);
            }
        }
        inKernel.keySet().stream().filter(k -> !local.contains(k.epId()))
                .forEach(k -> out.add(node.name() + ": pol key of an endpoint not on this node " + k));
        return out;
    }

    /** A hook's outcome: the TC action and the flow events it wrote. */
    record Run(int retval, List<FlowEvent> events) {
    }

    /**
     * Runs a frame through one hook of endpoint {@code epId} (local to this node).
     *
     * @param dir {@link EndpointMaps#DIR_EGRESS}: {@code weir_from_ep}; {@link EndpointMaps#DIR_INGRESS}: {@code weir_to_ep}
     */
    Run run(int epId, int dir, byte[] frame) {
        EpInfo ep = maps.eps.lookup(ifindexOf(epId))
                .orElseThrow(() -> new IllegalStateException("endpoint " + epId + " is not on " + node.name()));
        maps.eps.put(lo, ep);
        int rc = (dir == EndpointMaps.DIR_EGRESS ? fromEp : toEp).testRun(TestRun.of(frame)).retval();
        return new Run(rc, drain());
    }

    private List<FlowEvent> drain() {
        events.drain();
        List<FlowEvent> out = List.copyOf(received);
        received.clear();
        return out;
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
