package dev.weir.agent.datapath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.flow.FlowSink;
import dev.weir.agent.net.PortRange;
import dev.weir.agent.policy.Action;
import dev.weir.agent.policy.Direction;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.PolicyEntry;
import dev.weir.agent.policy.PolicyPrefix;
import dev.weir.agent.policy.PolicyPrefixes;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.runtime.Dataplane;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.CtKey;
import dev.weir.datapath.endpoint.CtVal;
import dev.weir.datapath.endpoint.DnsCfg;
import dev.weir.datapath.endpoint.DnsEvent;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.NodeMapSizes;
import dev.weir.datapath.endpoint.EpCfg;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.endpoint.IpcacheKey;
import dev.weir.datapath.endpoint.IpcacheVal;
import dev.weir.datapath.endpoint.PolKey;
import dev.weir.datapath.endpoint.PolVal;
import dev.weir.ebpf.BpfLink;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcLink;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * The node's policy datapath in the kernel (docs/policy-datapath.md): {@code tc_endpoint.o} loaded with its
 * maps pinned under {@code /sys/fs/bpf/weir/<node>/} (compatible pinned maps are reused, so a restarted
 * agent keeps conntrack and policy), {@code weir_from_ep}/{@code weir_to_ep} attached as clsact filters at weir's
 * slot on every local endpoint's node-side interface ({@link EndpointFilters}; a restarted agent replaces them in
 * place with its own programs), and map contents written from each {@link PolicyResult}.
 * A background thread drains flow events into the {@link FlowSink} and collects expired conntrack entries.
 *
 * <p>{@link #stop} leaves the filters and links attached and the maps pinned: traffic keeps being enforced while no
 * agent runs. {@link #apply} is called from the sync loop's thread only.
 */
public final class KernelPolicyDataplane implements Dataplane<PolicyResult> {

    /**
     * @param node     this node
     * @param pinDir   {@code /sys/fs/bpf/weir/<node>}
     * @param ctEntries conntrack capacity
     * @param lbSizes   sizes of the service maps the object shares with every LB object
     * @param nodeSizes sizes of pol, ipcache, ct and np_ct ({@code weir agent --map-size}); its ct is ctEntries
     */
    public record Config(String node, Path pinDir, int ctEntries, dev.weir.datapath.lb.LbMapSizes lbSizes,
                         dev.weir.agent.runtime.Routing routing, String hostCgroup, NodeMapSizes nodeSizes,
                         dev.weir.agent.runtime.NodePortMode nodePortMode) {
        public Config {
            lbSizes = lbSizes == null ? dev.weir.datapath.lb.LbMapSizes.DEFAULTS : lbSizes;
            routing = routing == null ? dev.weir.agent.runtime.Routing.DEFAULT : routing;
            nodeSizes = nodeSizes == null ? NodeMapSizes.DEFAULTS : nodeSizes;
            nodePortMode = nodePortMode == null ? dev.weir.agent.runtime.NodePortMode.DEFAULT : nodePortMode;
        }

        public Config(String node, Path pinDir, int ctEntries, dev.weir.datapath.lb.LbMapSizes lbSizes,
                      dev.weir.agent.runtime.Routing routing, String hostCgroup, NodeMapSizes nodeSizes) {
            this(node, pinDir, ctEntries, lbSizes, routing, hostCgroup, nodeSizes, null);
        }

        /** How external clients reach backends on other nodes ({@code weir agent --nodeport-mode}). */
        public Config withNodePortMode(dev.weir.agent.runtime.NodePortMode mode) {
            return new Config(node, pinDir, ctEntries, lbSizes, routing, hostCgroup, nodeSizes, mode);
        }

        public Config(String node, Path pinDir, int ctEntries, dev.weir.datapath.lb.LbMapSizes lbSizes) {
            this(node, pinDir, ctEntries, lbSizes, null, null, null);
        }

        public static Config defaults(String node) {
            return new Config(node, Path.of("/sys/fs/bpf/weir").resolve(node), EndpointMaps.CT_ENTRIES, null);
        }

        public Config withRouting(dev.weir.agent.runtime.Routing r) {
            return new Config(node, pinDir, ctEntries, lbSizes, r, hostCgroup, nodeSizes, nodePortMode);
        }

        /** The cgroup of the node's own processes, which gets the socket-level service hooks too (or null). */
        public Config withHostCgroup(String cgroup) {
            return new Config(node, pinDir, ctEntries, lbSizes, routing, cgroup, nodeSizes, nodePortMode);
        }

        public Config withLbSizes(dev.weir.datapath.lb.LbMapSizes sizes) {
            return new Config(node, pinDir, ctEntries, sizes, routing, hostCgroup, nodeSizes, nodePortMode);
        }

        /** The sizes of pol, ipcache, ct (also {@link #ctEntries}) and np_ct. */
        public Config withNodeSizes(NodeMapSizes sizes) {
            return new Config(node, pinDir, sizes.of(EndpointMaps.CT), lbSizes, routing, hostCgroup, sizes, nodePortMode);
        }
    }

    private final Config config;
    private final Supplier<FlowSink> sink;
    private final Consumer<String> log;
    private BpfObject obj;
    private NodeMaps maps;
    private PolicyMapWriter writer;
    private final EndpointFilters filters;
    private FlowPump pump;
    /** By endpoint id: what its entries were last written from (empty after a start: everything is written once). */
    private final Map<Integer, Written> written = new HashMap<>();
    /** By interface name: the ifindex whose programs this agent attached or found attached. */
    private final Map<String, Integer> attached = new java.util.concurrent.ConcurrentHashMap<>();
    /** Interfaces readied for a pod a sync may not know yet ({@link #ready}): their programs stay. */
    private final Map<String, Integer> readied = new java.util.concurrent.ConcurrentHashMap<>();
    /** Held by every read-modify-write of {@code ep_cfg[0]} (the sync loop's tunnel, the API's trace rate). */
    private final Object cfgLock = new Object();
    private boolean firstApply = true;
    /** The ipcache as last written; null when unknown (every key is read and written then). */
    private Map<IpcacheKey, IpcacheVal> ipcacheWritten;
    /** Tunnel mode: the VXLAN device's ifindex, as written to ep_cfg; 0 without a tunnel. */
    private int tunnelIfindex;
    /** The pin name of weir_from_overlay's link on the VXLAN device ({@code links/weir_vxlan_overlay}). */
    static final String OVERLAY_LINK = "overlay";

    public KernelPolicyDataplane(Config config, Supplier<FlowSink> sink, Consumer<String> log) {
        this.config = config;
        this.sink = sink;
        this.log = log;
        this.filters = new EndpointFilters(config.pinDir());
    }

    @Override
    public String name() {
        return "kernel-dataplane";
    }

    @Override
    public void start() throws Exception {
        Files.createDirectories(config.pinDir().resolve("links"));
        ObjectSpec spec = ObjectSpec.read(EndpointMaps.OBJECT, Datapath.object(EndpointMaps.OBJECT));
        obj = BpfObject.load(spec, config.lbSizes().applyTo(config.nodeSizes().applyTo(
                LoadOptions.builder().pinDirectory(config.pinDir()).reusePinned(true))
                .maxEntries(EndpointMaps.CT, config.ctEntries())).build());
        try {
            maps = new NodeMaps(obj);
            writer = new PolicyMapWriter(maps);
            if (maps.cfg.lookup(0).map(c -> c.ctEstablishedNs() == 0).orElse(true)) {
                maps.cfg.put(0, EpCfg.DEFAULTS);
            }
            pump = new FlowPump(obj, maps, sink, log);
            pump.start();
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
        log.accept("dataplane: tc_endpoint loaded, maps pinned in " + config.pinDir());
    }

    @Override
    public void stop() {
        if (pump != null) {
            pump.stop();
        }
        if (obj != null) {
            obj.close();
        }
    }

    /** The loaded object (maps shared with the service writer); null before {@link #start}. */
    BpfObject object() {
        return obj;
    }

    /** The conntrack table, for {@code weir bpf ct list}. */
    public dev.weir.agent.runtime.ConntrackReader conntrack() {
        return new ConntrackView(() -> maps);
    }

    /**
     * Packets and bytes counted on the {@code pol} keys of one entry in the endpoint's current generation
     * (connections it decided); null when the endpoint has no entry here.
     */
    public long[] counters(int endpointId, dev.weir.agent.runtime.StateView.Entry e) {
        NodeMaps m = maps;
        if (m == null) {
            return null;
        }
        EpInfo info = m.eps.entries().values().stream().filter(i -> i.epId() == endpointId).findFirst().orElse(null);
        if (info == null) {
            return null;
        }
        long[] sum = new long[2];
        for (PolicyPrefix x : PolicyPrefixes.expand(entry(e))) {
            m.pol.lookup(PolicyMapWriter.polKey(endpointId, info.polGen(), x)).ifPresent(v -> {
                sum[0] += v.packets();
                sum[1] += v.bytes();
            });
        }
        return sum;
    }

    /** The engine's entry a view's entry shows. */
    private static PolicyEntry entry(dev.weir.agent.runtime.StateView.Entry e) {
        return new PolicyEntry(e.direction().equals("INGRESS") ? Direction.INGRESS : Direction.EGRESS, e.peerIdentity(),
                e.family(), e.protocol(), e.ports() == null ? null : PortRange.parse(e.ports()),
                e.action().equals("DENY") ? Action.DENY : Action.ALLOW, e.rule());
    }

    @Override
    public void apply(Update<PolicyResult> update) {
        Node node = update.cluster().node(config.node()).orElseThrow(
                () -> new IllegalStateException("node " + config.node() + " is not in the cluster"));
        NetworkNamespace ns = node.netns() == null ? NetworkNamespace.current() : NetworkNamespace.named(node.netns());
        Map<IpcacheKey, IpcacheVal> ipcache = PolicyMapWriter.ipcache(update.result(), node,
                tunnelIfindex == 0 ? Map.of() : tunnelEndpoints(update.cluster()));
        Map<IpcacheKey, IpcacheVal> before = ipcacheWritten;
        ipcacheWritten = null; // unknown until the write below went through
        writer.writeIpcache(ipcache, before);
        ipcacheWritten = ipcache;
        List<Endpoint> local = update.cluster().endpointsOn(config.node()).stream()
                .filter(ep -> update.result().endpoint(ep.id()) != null && ep.iface() != null).toList();
        // one trip into the node's namespace for every interface's index (and its programs, when new)
        Map<Integer, Integer> ifindexes = ns.callUnchecked(() -> {
            Map<Integer, Integer> out = new HashMap<>();
            for (Endpoint ep : local) {
                out.put(ep.id(), attach(ep.iface()));
            }
            return out;
        });
        Set<Integer> live = new HashSet<>();
        Set<String> ifaces = new HashSet<>();
        List<Endpoint> changed = new java.util.ArrayList<>();
        for (Endpoint ep : local) {
            int ifindex = ifindexes.get(ep.id());
            live.add(ifindex);
            ifaces.add(ep.iface());
            if (!new Written(ifindex, update.result().endpoint(ep.id())).equals(written.get(ep.id()))) {
                changed.add(ep);
            }
        }
        boolean gone = !written.keySet().equals(local.stream().map(Endpoint::id).collect(java.util.stream.Collectors.toSet()));
        if (changed.isEmpty() && !gone && !firstApply) {
            return; // every endpoint's entries are as written: nothing to read back
        }
        Map<Integer, Map<Integer, List<PolKey>>> current = maps.polKeysByEndpointAndGen();
        for (Endpoint ep : changed) {
            written.remove(ep.id());
            EndpointPolicy p = update.result().endpoint(ep.id());
            writer.programEndpoint(ifindexes.get(ep.id()), ep.id(), p, current.getOrDefault(ep.id(), Map.of()));
            written.put(ep.id(), new Written(ifindexes.get(ep.id()), p));
        }
        forgetGone(live, ifaces, current, ns);
        written.keySet().retainAll(local.stream().map(Endpoint::id).toList());
        attached.keySet().removeIf(i -> !ifaces.contains(i) && !readied.containsKey(i));
        firstApply = false;
    }

    /**
     * Attaches both programs to a new pod's interface in {@code netns} (null: this namespace) off the sync loop's
     * thread, and keeps them there, even through syncs that do not know the interface's endpoint yet, until the
     * handle is closed. A program with no entry for the interface passes its packets, but nothing runs in the pod
     * before the sync writes its entries: the CNI ADD answers only then.
     */
    public dev.weir.agent.runtime.Dataplane.Readied ready(String netns, String iface) {
        readied.merge(iface, 1, Integer::sum);
        try {
            (netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns)).callUnchecked(() -> attach(iface));
        } catch (RuntimeException e) {
            unready(iface);
            throw e;
        }
        return () -> unready(iface);
    }

    private void unready(String iface) {
        readied.computeIfPresent(iface, (k, n) -> n == 1 ? null : n - 1);
    }

    /** What an endpoint's entries were last written from: its interface and its policy. */
    private record Written(int ifindex, EndpointPolicy policy) {
    }

    /**
     * Tunnel mode: the VXLAN device's ifindex (0: no tunnel). A change is written to {@code ep_cfg} at once, and
     * {@code weir_from_overlay} is attached to the device's ingress in {@code netns} (null: this namespace).
     */
    public void tunnel(int ifindex, String netns) {
        if (ifindex == tunnelIfindex) {
            return;
        }
        if (ifindex != 0) {
            NetworkNamespace ns = netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns);
            ns.callUnchecked(() -> {
                attachOne(NodeRoutes.VXLAN, OVERLAY_LINK, EndpointMaps.FROM_OVERLAY, TcDirection.INGRESS);
                return null;
            });
        }
        synchronized (cfgLock) {
            EpCfg cfg = maps.cfg.lookup(0).orElse(EpCfg.DEFAULTS);
            maps.cfg.put(0, cfg.withTunnelIfindex(ifindex));
        }
        tunnelIfindex = ifindex;
    }

    /**
     * Traces 1 in {@code n} forwarded packets (per CPU) as TRACED flows; 0 stops. Kept in the pinned
     * {@code ep_cfg}, so a restarted agent keeps it. Any thread.
     */
    public void traceEvery(int n) {
        synchronized (cfgLock) {
            EpCfg cfg = maps.cfg.lookup(0).orElse(EpCfg.DEFAULTS);
            maps.cfg.put(0, cfg.withTraceEvery(n));
        }
    }

    /** The trace sampling rate in force: 1 in this many forwarded packets; 0 off. */
    public int traceEvery() {
        return maps.cfg.lookup(0).map(EpCfg::traceEvery).orElse(0);
    }

    /**
     * DNS visibility on or off: whether the endpoint hooks copy DNS messages to {@code dns_events}. Kept in the
     * pinned {@code dns_cfg}, so a restarted agent keeps it; on in a new map. Any thread.
     */
    public void dnsVisibility(boolean on) {
        dnsCfg().put(0, new DnsCfg(on));
    }

    /** Whether DNS visibility is on. */
    public boolean dnsVisibility() {
        return dnsCfg().lookup(0).orElse(DnsCfg.ON).on();
    }

    /** DNS messages the hooks copied ({@code [0]}) and could not copy because {@code dns_events} was full ({@code [1]}). */
    public long[] dnsCounts() {
        BpfPerCpuMap<Integer, Long> stats = obj.perCpuMap(EndpointMaps.DNS_STATS, Codec.u32(), Codec.u64());
        long[] out = new long[2];
        for (int key : new int[] {DnsEvent.STAT_SENT, DnsEvent.STAT_LOST}) {
            Long n = stats.lookupSum(key, Long::sum);
            out[key] = n == null ? 0 : n;
        }
        return out;
    }

    private BpfMap<Integer, DnsCfg> dnsCfg() {
        return obj.map(EndpointMaps.DNS_CFG, Codec.u32(), DnsCfg.CODEC);
    }

    /**
     * Every remote endpoint's address with its node's IPv4 underlay address: where the tunnel takes it. The remote
     * nodes' own addresses too, as Cilium's tunnel does: what a pod sends another node (a NodePort backend's reply to
     * that node's SNAT address, a probe of its host) crosses the underlay encapsulated, never with a pod's address.
     */
    private Map<String, byte[]> tunnelEndpoints(dev.weir.agent.endpoint.ClusterState cluster) {
        Map<String, byte[]> out = new HashMap<>();
        Map<String, Node> nodes = new HashMap<>();
        cluster.nodes().forEach(n -> nodes.put(n.name(), n));
        for (Node n : cluster.nodes()) {
            if (!n.name().equals(config.node()) && n.ipv4() != null) {
                byte[] ip = dev.weir.agent.net.Cidr.parseAddress(n.ipv4(), "node " + n.name());
                out.put(n.ipv4(), ip);
                if (n.ipv6() != null) {
                    out.put(n.ipv6(), ip);
                }
            }
        }
        for (Endpoint e : cluster.endpoints()) {
            Node owner = nodes.get(e.node());
            if (!e.node().equals(config.node()) && owner != null && owner.ipv4() != null) {
                byte[] ip = dev.weir.agent.net.Cidr.parseAddress(owner.ipv4(), "node " + owner.name());
                e.addresses().forEach(a -> out.put(a, ip));
            }
        }
        return out;
    }

    /**
     * Puts both programs of this agent on the interface unless it did already (replacing in place the filters a
     * previous agent left); returns its index. tcx links an older agent pinned there go once the filters are in.
     */
    private int attach(String iface) {
        int ifindex = NetInterface.index(iface);
        if (Integer.valueOf(ifindex).equals(attached.get(iface))) {
            return ifindex; // attached by this agent, and the interface is the same one
        }
        filters.attach(obj.program(EndpointMaps.FROM_EP), obj.program(EndpointMaps.TO_EP), iface);
        for (String hook : List.of("from", "to")) {
            Path old = linkPin(iface, hook);
            if (Files.exists(old)) {
                unpin(old);
            }
        }
        attached.put(iface, ifindex);
        return ifindex;
    }

    private void attachOne(String iface, String suffix, String program, TcDirection dir) {
        Path pin = linkPin(iface, suffix);
        if (Files.exists(pin)) {
            if (linkAlive(pin)) {
                return;
            }
            unpin(pin);
        }
        try (TcLink link = TcLink.attach(obj.program(program), iface, dir)) {
            link.pin(pin);
        }
    }

    /** bpffs refuses names with a dot (they are reserved), so an interface's dots become underscores. */
    private Path linkPin(String iface, String hook) {
        return config.pinDir().resolve("links").resolve(iface.replace('.', '_') + "_" + hook);
    }

    static boolean linkAlive(Path pin) {
        try (BpfLink link = BpfLink.fromPin(pin)) {
            return link.info().ifindex() != 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Removes a link pin (the kernel detaches the link with its last reference), or a stale file there. */
    static void unpin(Path pin) {
        try (BpfLink link = BpfLink.fromPin(pin)) {
            link.unpin();
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(pin);
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
        }
    }

    /** Endpoints no longer on this node: their entries, policy, filters (in the node's {@code ns}) and links go. */
    private void forgetGone(Set<Integer> live, Set<String> ifaces, Map<Integer, Map<Integer, List<PolKey>>> current,
                            NetworkNamespace ns) {
        Set<Integer> liveIds = new HashSet<>();
        for (var e : maps.eps.entries().entrySet()) {
            if (live.contains(e.getKey())) {
                liveIds.add(e.getValue().epId());
            } else {
                maps.eps.delete(e.getKey());
            }
        }
        current.forEach((epId, byGen) -> {
            if (!liveIds.contains(epId)) {
                byGen.values().forEach(keys -> keys.forEach(maps.pol::delete));
            }
        });
        List<String> goneFilters = filters.recorded().stream()
                .filter(i -> !ifaces.contains(i) && !readied.containsKey(i)).toList();
        if (!goneFilters.isEmpty()) {
            ns.callUnchecked(() -> {
                goneFilters.forEach(i -> filters.detach(i).forEach(m -> log.accept("dataplane: " + m)));
                return null;
            });
        }
        try (Stream<Path> s = Files.list(config.pinDir().resolve("links"))) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(NodePortDataplane.LINK_PREFIX) || name.equals(NodeRoutes.VXLAN + "_" + OVERLAY_LINK)) {
                    continue; // the underlay's or the tunnel's, not an endpoint's
                }
                String iface = name.substring(0, Math.max(0, name.lastIndexOf('_')));
                if (Stream.concat(ifaces.stream(), readied.keySet().stream()).noneMatch(i -> i.replace('.', '_').equals(iface))) {
                    unpin(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pinned maps this dataplane writes, typed. Owned by the loaded object. */
    static final class NodeMaps {
        final BpfMap<Integer, EpInfo> eps;
        final BpfMap<IpcacheKey, IpcacheVal> ipcache;
        final BpfMap<PolKey, PolVal> pol;
        final BpfMap<CtKey, CtVal> ct;
        /** The NAT table of external clients' connections, shared with nodeport.o by pin (collected with ct). */
        final BpfMap<dev.weir.datapath.nodeport.NpCtKey, dev.weir.datapath.nodeport.NpCtVal> npCt;
        final BpfMap<Integer, EpCfg> cfg;
        final BpfPerCpuMap<Integer, Counter> stats;

        NodeMaps(BpfObject obj) {
            eps = obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
            ipcache = obj.map(EndpointMaps.IPCACHE, IpcacheKey.CODEC, IpcacheVal.CODEC);
            pol = obj.map(EndpointMaps.POL, PolKey.CODEC, PolVal.CODEC);
            ct = obj.map(EndpointMaps.CT, CtKey.CODEC, CtVal.CODEC);
            npCt = obj.map(dev.weir.datapath.nodeport.NodePortMaps.CT, dev.weir.datapath.nodeport.NpCtKey.CODEC,
                    dev.weir.datapath.nodeport.NpCtVal.CODEC);
            cfg = obj.map(EndpointMaps.CFG, Codec.u32(), EpCfg.CODEC);
            stats = obj.perCpuMap(EndpointMaps.STATS, Codec.u32(), Counter.CODEC);
        }

        /** The pol keys now in the map, by endpoint id and generation. */
        Map<Integer, Map<Integer, List<PolKey>>> polKeysByEndpointAndGen() {
            Map<Integer, Map<Integer, List<PolKey>>> out = new HashMap<>();
            for (PolKey k : pol.keys()) {
                out.computeIfAbsent(k.epId(), x -> new HashMap<>()).computeIfAbsent(k.gen(), x -> new ArrayList<>()).add(k);
            }
            return out;
        }
    }
}
