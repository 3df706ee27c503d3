package dev.weir.agent.datapath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.service.HealthCheck;
import dev.weir.agent.service.HealthCheckServer;
import dev.weir.agent.service.IpFamily;
import dev.weir.agent.service.LbFrontend;
import dev.weir.agent.service.LbState;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.nodeport.LbSrcRangeKey;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.datapath.nodeport.NpCfg;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcLink;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * Services reached from outside the node (docs/service-datapath.md, "From outside the node"):
 * {@code nodeport.o} loaded into the node's pin directory next to {@code tc_endpoint.o}, whose shared maps it
 * reuses by name ({@code np_ct}, {@code ep_cfg}, the LB maps, sized as the endpoint object has them),
 * {@code weir_from_netdev} attached as a pinned tcx ingress link on the node's underlay interface (the one
 * holding the node's address, found in the node's network namespace), and its own maps written from each
 * {@link LbState}: the SNAT addresses and the nodeport mode, SNAT or DSR ({@code np_cfg}) and loadBalancerSourceRanges ({@code lb_src_range}).
 *
 * <p>Pins: {@code links/underlay_<iface>_in}; {@link KernelPolicyDataplane} leaves links with the
 * {@link #LINK_PREFIX} alone. {@link #stop} leaves the link attached and the maps pinned, as the endpoint
 * programs; {@code weir uninstall} removes them. Used from the sync loop's thread only.
 */
final class NodePortDataplane {

    /** Prefix of this dataplane's link pins under {@code links/}. */
    static final String LINK_PREFIX = "underlay_";

    private final String node;
    private final Path pinDir;
    private final Consumer<String> log;
    private final dev.weir.agent.runtime.NodePortMode mode;
    private BpfObject obj;
    private BpfMap<Integer, NpCfg> cfg;
    private BpfMap<LbSrcRangeKey, Integer> ranges;
    private String attached;
    /** The tunnel device's ifindex when weir_from_netdev is on it too, else 0. */
    private int overlay;
    private String attachError;
    private final HealthCheckServer health;

    NodePortDataplane(String node, Path pinDir, dev.weir.agent.runtime.NodePortMode mode, Consumer<String> log) {
        this.node = node;
        this.pinDir = pinDir;
        this.mode = mode;
        this.log = log;
        this.health = new HealthCheckServer(log);
    }

    /** Loads the object, reusing the endpoint object's pinned maps; {@code endpoint} gives their sizes. */
    void start(BpfObject endpoint) {
        ObjectSpec spec = ObjectSpec.read(NodePortMaps.OBJECT, Datapath.object(NodePortMaps.OBJECT));
        LoadOptions.Builder opts = LoadOptions.builder().pinDirectory(pinDir).reusePinned(true);
        Set<String> shared = new HashSet<>(endpoint.mapNames());
        for (MapSpec m : spec.maps()) {
            if (!m.isInternal() && shared.contains(m.name())) {
                MapSpec e = endpoint.spec().map(m.name());
                opts.maxEntries(m.name(), endpoint.map(m.name(), Codec.bytes(e.keySize()), Codec.bytes(e.valueSize()))
                        .maxEntries());
            }
        }
        obj = BpfObject.load(spec, opts.build());
        try {
            cfg = obj.map(NodePortMaps.CFG, Codec.u32(), NpCfg.CODEC);
            ranges = obj.map(NodePortMaps.SRC_RANGE, LbSrcRangeKey.CODEC, Codec.u8());
        } catch (RuntimeException e) {
            obj.close();
            throw e;
        }
    }

    void stop() {
        health.close();
        if (obj != null) {
            obj.close();
        }
    }

    /**
     * Before the service maps are written: the source ranges the state's frontends need, so that a new
     * LoadBalancer frontend with ranges never admits nothing for a moment.
     */
    void addRanges(LbState state) {
        ranges(state).forEach(k -> ranges.put(k, 1));
    }

    /**
     * After the service maps are written: the SNAT addresses from the node, source ranges no frontend has
     * removed, the healthCheckNodePorts ({@link HealthCheckServer}), the underlay link (attached once; failing that
     * is logged and retried at the next apply, without failing the rest of the datapath), and in tunnel mode the
     * same program on the tunnel device.
     */
    void apply(Node n, LbState state, int tunnelIfindex) {
        InetAddress v4 = address(n.ipv4());
        InetAddress v6 = address(n.ipv6());
        NpCfg want = NpCfg.of(v4, v6).withDsr(mode == dev.weir.agent.runtime.NodePortMode.DSR);
        if (!cfg.lookup(0).map(want::equals).orElse(false)) {
            cfg.put(0, want);
        }
        Set<LbSrcRangeKey> live = ranges(state);
        for (LbSrcRangeKey k : ranges.keys()) {
            if (!live.contains(k)) {
                ranges.delete(k);
            }
        }
        NetworkNamespace ns = n.netns() == null ? NetworkNamespace.current() : NetworkNamespace.named(n.netns());
        // healthCheckNodePorts on the node's addresses: the socket is made in the node's namespace and stays there
        health.update(HealthCheck.of(state), port -> ns.callUnchecked(() -> HealthCheckServer.Binder.ANY.bind(port)));
        if (attached == null) {
            try {
                attached = ns.callUnchecked(() -> attach(underlay(v4, v6)));
                log.accept("dataplane: " + NodePortMaps.FROM_NETDEV + " on the underlay interface " + attached + " of " + node);
            } catch (RuntimeException e) {
                if (!String.valueOf(e.getMessage()).equals(attachError)) {
                    attachError = String.valueOf(e.getMessage());
                    log.accept("dataplane: services from outside the node are not translated: " + attachError);
                }
            }
        }
        if (tunnelIfindex != 0 && tunnelIfindex != overlay) {
            // after weir_from_overlay (attached with the device): remote backends' replies come through the tunnel
            ns.callUnchecked(() -> attach(NodeRoutes.VXLAN));
            log.accept("dataplane: " + NodePortMaps.FROM_NETDEV + " on " + NodeRoutes.VXLAN + " of " + node);
        }
        overlay = tunnelIfindex;
    }

    /** loadBalancerSourceRanges of the frontends for external clients, per family. */
    private static Set<LbSrcRangeKey> ranges(LbState state) {
        Set<LbSrcRangeKey> want = new HashSet<>();
        for (LbFrontend f : state.frontends()) {
            if ((f.flags() & LbFrontend.SRC_RANGES) == 0 || f.clientScope() != LbFrontend.ClientScope.ANY) {
                continue;
            }
            boolean v4 = f.address().family() == IpFamily.IPV4;
            for (Cidr c : f.sourceRanges()) {
                if (c.isIpv4() == v4) {
                    want.add(LbSrcRangeKey.of(f.revNatId(), c.address(), c.length()));
                }
            }
        }
        return want;
    }

    /** Attaches weir_from_netdev unless a live pinned link holds it; returns the interface. */
    private String attach(String iface) {
        Path pin = pinDir.resolve("links").resolve(LINK_PREFIX + iface.replace('.', '_') + "_in");
        if (Files.exists(pin)) {
            if (KernelPolicyDataplane.linkAlive(pin)) {
                return iface;
            }
            KernelPolicyDataplane.unpin(pin);
        }
        try {
            Files.createDirectories(pin.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (TcLink link = TcLink.attach(obj.program(NodePortMaps.FROM_NETDEV), iface, TcDirection.INGRESS)) {
            link.pin(pin);
        }
        return iface;
    }

    /** The interface (in the calling thread's namespace) holding one of the node's addresses. */
    private String underlay(InetAddress v4, InetAddress v6) {
        try {
            for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(i.getInetAddresses())) {
                    if (a.equals(v4) || a.equals(v6)) {
                        return i.getName();
                    }
                }
            }
        } catch (SocketException e) {
            throw new UncheckedIOException("listing the interfaces of node " + node, e);
        }
        throw new IllegalStateException("node " + node + ": no interface holds its address " + (v4 != null ? v4.getHostAddress()
                : v6 == null ? "(none)" : v6.getHostAddress()) + "; services from outside the node cannot be translated");
    }

    private static InetAddress address(String text) {
        if (text == null) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad node address " + text, e);
        }
    }
}
