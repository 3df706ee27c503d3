package dev.weir.agent.datapath;

import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.weir.agent.flow.FlowSink;
import dev.weir.agent.runtime.ComputedState;
import dev.weir.agent.runtime.ConntrackReader;
import dev.weir.agent.runtime.PolicyDataplane;
import dev.weir.agent.runtime.PolicyView;

/**
 * The node's whole kernel datapath: network policy ({@link KernelPolicyDataplane}), service load
 * balancing ({@link LbMapWriter}, into the service maps of the same pinned {@code tc_endpoint} object,
 * which translates at TC; and, unless {@link SocketLbMode#off}, {@link SocketLb} at the sockets of local
 * pods, over the same maps) and services reached from outside the node ({@link NodePortDataplane}, on the
 * underlay interface). Same lifetime rules: {@link #stop} leaves everything attached and pinned.
 */
public final class KernelDataplane implements PolicyDataplane<ComputedState> {

    private final KernelPolicyDataplane.Config config;
    private final KernelPolicyDataplane policy;
    private final SocketLb socketLb;
    private final NodePortDataplane nodePort;
    private LbMapWriter services;

    public KernelDataplane(KernelPolicyDataplane.Config config, SocketLbMode socketLb, Supplier<FlowSink> sink,
                           Consumer<String> log) {
        this.config = config;
        this.policy = new KernelPolicyDataplane(config, sink, log);
        this.socketLb = new SocketLb(new SocketLb.Config(config.pinDir(), socketLb), log);
        this.nodePort = new NodePortDataplane(config.node(), config.pinDir(), log);
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
            nodePort.start(policy.object());
        } catch (Exception e) {
            socketLb.stop();
            policy.stop();
            throw e;
        }
    }

    @Override
    public void stop() {
        nodePort.stop();
        socketLb.stop();
        policy.stop();
    }

    /** Which paths translate services: {@code socket+tc}, or {@code tc (why not the socket)}. */
    @Override
    public java.util.Map<String, String> details() {
        return java.util.Map.of("serviceLb", socketLb.state());
    }

    @Override
    public void apply(Update<ComputedState> update) {
        policy.apply(new Update<>(update.revision(), update.node(), update.cluster(), update.result().policy()));
        nodePort.addRanges(update.result().services());
        services.write(update.result().services(), update.result().lbChange());
        socketLb.apply(update.cluster().endpointsOn(config.node()));
        update.cluster().node(config.node()).ifPresent(n -> nodePort.apply(n, update.result().services()));
    }

    public ConntrackReader conntrack() {
        return policy.conntrack();
    }

    public long[] counters(int endpointId, PolicyView.Entry entry) {
        return policy.counters(endpointId, entry);
    }
}
