package dev.weir.bench.policy;

import static dev.weir.bench.policy.TcRunner.TC_ACT_OK;
import static dev.weir.bench.policy.TcRunner.TC_ACT_SHOT;

import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyObject;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
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
import dev.weir.ebpf.TestRun;

/**
 * Time from {@code weir apply} of {@link NetpolModel}'s 1,000 NetworkPolicies over its 1,000 endpoints to
 * enforced, by stage: parse the YAML, resolve (identities, ipcache, entries), compile every endpoint's
 * {@code pol} blocks and keys, write ipcache, pol and ep_by_ifindex into a freshly loaded, unpinned
 * {@code tc_endpoint} object (loading is not timed: the agent's datapath is loaded at start). Each round
 * checks enforcement afterwards with two test runs (an allowed and a dropped new connection).
 */
final class ApplyBench {

    /** One round's stages, in ns, and what it wrote. */
    record Round(long parseNs, long resolveNs, long compileNs, long writeNs, int policies, int identities,
                 int ipcache, int polEntries, int endpoints) {
        long totalNs() {
            return parseNs + resolveNs + compileNs + writeNs;
        }
    }

    private final String yaml = NetpolModel.policiesYaml(1000);
    private final ClusterSnapshot cluster = NetpolModel.cluster();

    Round round() {
        long t0 = System.nanoTime();
        List<PolicyObject> policies = new PolicyParser().parse(yaml, "bench.yaml");
        long t1 = System.nanoTime();
        PolicyResult result = new PolicyEngine().resolve(cluster.withPolicies(policies), new InMemoryIdentityAllocator());
        long t2 = System.nanoTime();
        NodeWrites w = NodeWrites.compile(result, NetpolModel.NODE);
        long t3 = System.nanoTime();
        try (BpfObject obj = load(w)) {
            BpfMap<IpcacheKey, IpcacheVal> ipcache = obj.map(EndpointMaps.IPCACHE, IpcacheKey.CODEC, IpcacheVal.CODEC);
            BpfMap<PolKey, PolVal> pol = obj.map(EndpointMaps.POL, PolKey.CODEC, PolVal.CODEC);
            BpfMap<Integer, EpInfo> eps = obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
            obj.map(EndpointMaps.CFG, Codec.u32(), EpCfg.CODEC).put(0, EpCfg.DEFAULTS);
            long t4 = System.nanoTime();
            w.ipcache().forEach(ipcache::put);
            w.pol().forEach(pol::put);
            w.endpoints().forEach(eps::put);
            long t5 = System.nanoTime();
            if (pol.count() != w.pol().size()) {
                throw new IllegalStateException("pol holds " + pol.count() + " entries, wrote " + w.pol().size());
            }
            checkEnforced(obj, result, w);
            return new Round(t1 - t0, t2 - t1, t3 - t2, t5 - t4, policies.size(), result.identities().size(),
                    w.ipcache().size(), w.pol().size(), w.endpoints().size());
        }
    }

    private static BpfObject load(NodeWrites w) {
        ObjectSpec spec = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        return BpfObject.load(spec, LoadOptions.builder()
                .maxEntries(EndpointMaps.POL, Math.max(1024, 2 * w.pol().size()))
                .maxEntries(EndpointMaps.IPCACHE, Math.max(1024, 2 * w.ipcache().size()))
                .maxEntries(EndpointMaps.EP_BY_IFINDEX, Math.max(1024, 2 * w.endpoints().size()))
                .build());
    }

    /**
     * Plays endpoint 1 (ns-0/pod-0, ingress-enforced) at lo's ifindex: a SYN from a peer its entries allow,
     * on an allowed port, must pass as PASS_POLICY; the same to port 1 must drop as DROP_POLICY.
     */
    private static void checkEnforced(BpfObject obj, PolicyResult result, NodeWrites w) {
        Endpoint ep = result.snapshot().endpoints().getFirst();
        EpInfo info = w.endpoints().get(NodeWrites.IFINDEX_BASE + ep.id());
        if (info == null || (info.flags() & EpInfo.INGRESS_ENFORCED) == 0) {
            throw new IllegalStateException("endpoint " + ep.key() + " is not ingress-enforced: " + info);
        }
        Map.Entry<PolKey, PolVal> allow = w.pol().entrySet().stream()
                .filter(e -> e.getKey().epId() == ep.id() && e.getKey().dir() == EndpointMaps.DIR_INGRESS
                        && e.getKey().identity() != 0 && e.getKey().family() == 4 && e.getKey().proto() == 6
                        && e.getValue().action() == PolVal.ALLOW)
                .findFirst().orElseThrow(() -> new IllegalStateException("no TCP allow entry for " + ep.key()));
        Cidr peer = result.ipcache().entrySet().stream()
                .filter(e -> e.getValue() == allow.getKey().identity() && e.getKey().isIpv4() && e.getKey().length() == 32)
                .map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalStateException("no address of identity " + allow.getKey().identity()));
        obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC).put(NetInterface.index("lo"), info);
        byte[] pod = Cidr.parse(ep.ipv4()).address();
        expect(obj, TcFrames.tcp4(peer.address(), pod, 41_000, allow.getKey().dport(), TcFrames.SYN), TC_ACT_OK,
                DropReason.PASS_POLICY);
        expect(obj, TcFrames.tcp4(peer.address(), pod, 41_001, 1, TcFrames.SYN), TC_ACT_SHOT, DropReason.DROP_POLICY);
    }

    private static void expect(BpfObject obj, byte[] frame, int action, DropReason reason) {
        BpfPerCpuMap<Integer, Counter> stats = obj.perCpuMap(EndpointMaps.STATS, Codec.u32(), Counter.CODEC);
        Counter before = stats.lookupSum(reason.code(), Counter::plus);
        int got = obj.program(EndpointMaps.TO_EP).testRun(TestRun.of(frame)).retval();
        Counter after = stats.lookupSum(reason.code(), Counter::plus);
        long grew = (after == null ? 0 : after.packets()) - (before == null ? 0 : before.packets());
        if (got != action || grew != 1) {
            throw new IllegalStateException("after apply: expected action " + action + " as " + reason + ", got action "
                    + got + " (" + reason + " grew by " + grew + ")");
        }
    }
}
