package dev.weir.agent.datapath;

import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.cni.PodLink;
import dev.weir.agent.flow.FlowSink;
import dev.weir.agent.guard.GuardValues;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.prefilter.RedirectPod;
import dev.weir.agent.runtime.ComputedState;
import dev.weir.agent.runtime.ConntrackReader;
import dev.weir.agent.runtime.Dataplane;
import dev.weir.agent.runtime.StateView;

/**
 * The node's whole kernel datapath: network policy ({@link KernelPolicyDataplane}), service load
 * balancing ({@link LbMapWriter}, into the service maps of the same pinned {@code tc_endpoint} object,
 * which translates at TC; and, unless {@link SocketLbMode#off}, {@link SocketLb} at the sockets of local
 * pods, over the same maps), the workload guards at the sockets of the local pods they select
 * ({@link SocketGuard}, after the socket LB) and services reached from outside the node ({@link NodePortDataplane}, on the
 * underlay interface), and the node's XDP prefilter ({@link NodePrefilter}, on the interfaces the WeirPrefilter
 * objects selecting the node name, written last so that its failure leaves the rest applied), and the routes to the
 * other nodes' pods, tunnelled or native ({@link NodeRoutes}, written first), and with {@code --sockmap} same-node TCP
 * socket to socket ({@link Sockmap}, after policy). Same lifetime rules:
 * {@link #stop} leaves everything attached and pinned.
 */
public final class KernelDataplane implements Dataplane<ComputedState> {

    private final KernelPolicyDataplane.Config config;
    private final KernelPolicyDataplane policy;
    private final SocketLb socketLb;
    private final SocketGuard guard;
    private final Sockmap sockmap;
    private final NodePortDataplane nodePort;
    private final NodePrefilter prefilter;
    private final NodeRoutes routes;
    private final MapFillSampler fill;
    private LbMapWriter services;

    /** With the node's prefilter pinned in {@code <pinDir>/prefilter}, its state in {@code /run/weir/<node>}. */
    public KernelDataplane(KernelPolicyDataplane.Config config, SocketLbMode socketLb, Supplier<FlowSink> sink,
                           Consumer<String> log) {
        this(config, socketLb, sink, NodePrefilter.kernel(config.node(), config.pinDir().resolve("prefilter"),
                dev.weir.agent.runtime.AgentConfig.RUN_ROOT.resolve(config.node()), log), log);
    }

    /** @param prefilter the node's prefilter (its pins and state are its own) */
    public KernelDataplane(KernelPolicyDataplane.Config config, SocketLbMode socketLb, Supplier<FlowSink> sink,
                           NodePrefilter prefilter, Consumer<String> log) {
        this(config, socketLb, false, sink, prefilter, log);
    }

    /** @param sockmap {@code weir agent --sockmap}: same-node TCP between local pods socket to socket */
    public KernelDataplane(KernelPolicyDataplane.Config config, SocketLbMode socketLb, boolean sockmap,
                           Supplier<FlowSink> sink, NodePrefilter prefilter, Consumer<String> log) {
        this.config = config;
        this.sockmap = new Sockmap(new Sockmap.Config(config.pinDir(), sockmap), log);
        this.prefilter = prefilter;
        this.policy = new KernelPolicyDataplane(config, sink, log);
        this.socketLb = new SocketLb(new SocketLb.Config(config.pinDir(), socketLb, config.hostCgroup()), log);
        this.guard = new SocketGuard(config.pinDir(), log);
        this.nodePort = new NodePortDataplane(config.node(), config.pinDir(), config.nodePortMode(), log);
        this.routes = new NodeRoutes(config.node(), config.routing(), log);
        this.fill = new MapFillSampler(config.pinDir(), LbMapWriter.COUNTED, log);
    }

    @Override
    public String name() {
        return policy.name();
    }

    @Override
    public void start() throws Exception {
        policy.start();
        try {
            services = new LbMapWriter(LbTables.of(policy.object()));
            socketLb.start(policy.object());
            guard.start(policy.object());
            nodePort.start(policy.object());
            sockmap.start(policy.object());
            fill.start();
        } catch (Exception e) {
            sockmap.stop();
            guard.stop();
            socketLb.stop();
            policy.stop();
            throw e;
        }
    }

    @Override
    public void stop() {
        fill.stop();
        sockmap.stop();
        nodePort.stop();
        guard.stop();
        socketLb.stop();
        policy.stop();
    }

    /** Which paths translate services: {@code socket+tc}, or {@code tc (why not the socket)}. */
    @Override
    public java.util.Map<String, String> details() {
        return java.util.Map.of("serviceLb", socketLb.state(), "prefilter", prefilter.applied().summary(),
                "workloadGuard", guard.state(), "sockmap", sockmap.state());
    }

    @Override
    public void apply(Update<ComputedState> update) {
        // the routes to the other nodes' pods (and the tunnel) first: the ipcache names the tunnel's endpoints
        int tunnel = routes.apply(update.cluster());
        policy.tunnel(tunnel, update.cluster().node(config.node()).map(dev.weir.agent.cluster.Node::netns).orElse(null));
        // writes only what changed (a service-only change reads no policy map back), but looks at every local
        // interface: one deleted and added again under its name needs its programs again
        policy.apply(new Update<>(update.revision(), update.node(), update.cluster(), update.result().policy()));
        nodePort.addRanges(update.result().services());
        services.write(update.result().services(), update.result().lbChange());
        java.util.Set<Long> lbAttached = socketLb.apply(update.cluster().endpointsOn(config.node()));
        // after the socket LB (its new links are followed by the guard's again): the guard judges the backend it chose
        guard.apply(update.cluster().endpointsOn(config.node()), update.result().guards(),
                GuardValues.peers(update.result().guards(), update.result().policy()), lbAttached);
        sockmap.apply(update.cluster().endpointsOn(config.node()));
        update.cluster().node(config.node()).ifPresent(n -> nodePort.apply(n, update.result().services(), tunnel));
        NodePrefilterSpec want = update.result().prefilter();
        var self = update.cluster().node(config.node());
        if (want.selected() && self.isEmpty()) {
            throw new IllegalStateException("prefilter: node " + config.node() + " is not among the cluster's nodes,"
                    + " so its network namespace is unknown");
        }
        prefilter.apply(want, self.map(dev.weir.agent.cluster.Node::netns).orElse(null),
                redirectPods(update.cluster().endpointsOn(config.node())));
    }

    /** The local pods as the prefilter's redirect stage needs them (the pod side's MAC as weir-cni sets it). */
    private static java.util.List<RedirectPod> redirectPods(java.util.List<dev.weir.agent.cluster.Endpoint> local) {
        return local.stream().filter(e -> e.iface() != null)
                .map(e -> new RedirectPod(e.id(), e.addresses(), e.iface(), PodLink.podMac(e.iface()))).toList();
    }

    /** The pods' MTU: the underlay's, less the VXLAN overhead when tunnelling; null before the first sync. */
    @Override
    public Integer podMtu() {
        return routes.podMtu();
    }

    @Override
    public Readied ready(String netns, String iface) {
        return policy.ready(netns, iface);
    }

    /**
     * Every pinned map's fill: the service maps' from what the map writer wrote, the others' as last counted in
     * the background ({@link MapFillSampler}); no map is read here.
     */
    @Override
    public java.util.Map<String, MapFill> mapFill() {
        java.util.Map<String, MapFill> out = new java.util.TreeMap<>(fill.latest());
        LbMapWriter w = services;
        if (w != null) {
            w.entries().forEach((map, n) -> out.put(map, new MapFill(n, config.lbSizes().of(map))));
        }
        return out;
    }

    /** The counters of tc_endpoint, nodeport and sock_lb, read from their pinned maps now. */
    @Override
    public java.util.Map<String, java.util.Map<Integer, long[]>> programCounters() {
        return ProgramCounters.read(config.pinDir());
    }

    /** The node's prefilter (for {@code weir prefilter list|stats}). */
    public NodePrefilter prefilter() {
        return prefilter;
    }

    /** Trace sampling (TRACED flows): 1 in {@code n} forwarded packets; 0 off. */
    public void traceEvery(int n) {
        policy.traceEvery(n);
    }

    public int traceEvery() {
        return policy.traceEvery();
    }

    /** DNS visibility (L7 DNS flows, destination names): on or off. */
    public void dnsVisibility(boolean on) {
        policy.dnsVisibility(on);
    }

    public boolean dnsVisibility() {
        return policy.dnsVisibility();
    }

    /** DNS messages copied and lost (ring full) since the maps were made. */
    public long[] dnsCounts() {
        return policy.dnsCounts();
    }

    public ConntrackReader conntrack() {
        return policy.conntrack();
    }

    public long[] counters(int endpointId, StateView.Entry entry) {
        return policy.counters(endpointId, entry);
    }
}
