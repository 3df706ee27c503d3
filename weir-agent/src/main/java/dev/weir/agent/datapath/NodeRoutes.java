package dev.weir.agent.datapath;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.cluster.Node;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.net.IpCommand;
import dev.weir.agent.runtime.Routing;

/**
 * How the node reaches the other nodes' pods (docs/routing.md), in its network namespace, with iproute2:
 *
 * <ul>
 *   <li>{@link Routing#NATIVE}: a route per remote pod address via the underlay address of its node, of the same
 *       family (Cilium's auto-direct-node-routes; the lab has no per-node pod CIDRs, so per pod).</li>
 *   <li>{@link Routing#TUNNEL}: the VXLAN device {@value #VXLAN} (collect metadata, UDP {@value #VXLAN_PORT},
 *       no ARP, MTU the underlay's less {@value #VXLAN_OVERHEAD}); a route per remote pod address into it with
 *       lightweight-tunnel encapsulation to the pod's node (VNI {@value #REMOTE_NODE}, remote-node), which carries
 *       what the stack forwards (translated NodePort traffic, the node's own); the pods' own packets are
 *       encapsulated at TC with their identity instead. IPv4 underlay only.</li>
 * </ul>
 *
 * Every route weir installs carries the protocol {@value #PROTO}, which is how it finds (and removes) exactly its
 * own: each {@link #apply} makes the node's protocol-{@value #PROTO} routes the wanted ones. Switching modes
 * removes the other mode's routes and device. {@link #apply} is called from the sync loop's thread only.
 */
public final class NodeRoutes {

    public static final String VXLAN = "weir_vxlan";
    public static final int VXLAN_PORT = 8472;
    /** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
    public static final int VXLAN_OVERHEAD = 50;
    /** The rtnetlink protocol of weir's routes (unassigned in /etc/iproute2/rt_protos). */
    public static final int PROTO = 201;
    static final int REMOTE_NODE = 6;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String node;
    private final Routing routing;
    private final Consumer<String> log;
    /** What the last apply installed, by destination; null before the first (which replaces every route once). */
    private Map<String, String> installed;
    private String netns;
    private int vxlanIfindex;
    /** The MTU pods get, read with the underlay's when the node's namespace is first seen; null before. */
    private volatile Integer podMtu;

    public NodeRoutes(String node, Routing routing, Consumer<String> log) {
        this.node = node;
        this.routing = routing;
        this.log = log;
    }

    /**
     * Brings the node's routes (and, tunnelling, its VXLAN device) in line with the cluster.
     *
     * @return the VXLAN device's ifindex when tunnelling, else 0
     * @throws IpCommand.Failed when iproute2 refuses a step (a sync error; retried at the next sync)
     */
    public int apply(ClusterState cluster) {
        Node self = cluster.node(node).orElse(null);
        if (self == null) {
            return vxlanIfindex;
        }
        if (installed == null || !java.util.Objects.equals(netns, self.netns())) {
            netns = self.netns();
            installed = null;
            int underlay = underlayMtu(self);
            vxlanIfindex = routing == Routing.TUNNEL ? ensureVxlan(underlay - VXLAN_OVERHEAD) : removeVxlan();
            podMtu = routing == Routing.TUNNEL ? underlay - VXLAN_OVERHEAD : underlay;
        }
        Map<String, String> want = routes(cluster, self);
        if (want.equals(installed)) {
            return vxlanIfindex;
        }
        java.util.Set<String> present = present();
        List<String> batch = new ArrayList<>();
        for (String dst : present) {
            if (!want.containsKey(dst)) {
                batch.add("route del " + dst + " proto " + PROTO);
            }
        }
        want.forEach((dst, route) -> {
            if (installed == null || !route.equals(installed.get(dst)) || !present.contains(dst)) {
                batch.add(route);
            }
        });
        if (!batch.isEmpty()) {
            IpCommand.run(IpCommand.ip(netns, List.of("-batch", "-")), String.join("\n", batch) + "\n");
            log.accept("routes (" + routing + "): " + want.size() + " to remote pods, " + batch.size() + " changed");
        }
        installed = want;
        return vxlanIfindex;
    }

    /** The routes to every remote pod address whose node's address of the family is known, by destination. */
    Map<String, String> routes(ClusterState cluster, Node self) {
        Map<String, String> want = new TreeMap<>();
        Map<String, Node> nodes = new HashMap<>();
        cluster.nodes().forEach(n -> nodes.put(n.name(), n));
        for (Endpoint e : cluster.endpoints()) {
            Node owner = nodes.get(e.node());
            if (e.node().equals(node) || owner == null) {
                continue;
            }
            for (String addr : e.addresses()) {
                boolean v6 = addr.contains(":");
                String dst = addr + (v6 ? "/128" : "/32");
                if (routing == Routing.TUNNEL) {
                    if (owner.ipv4() != null) {
                        want.put(dst, "route replace " + dst + " dev " + VXLAN + " encap ip id " + REMOTE_NODE
                                + " dst " + owner.ipv4() + " proto " + PROTO);
                    }
                } else {
                    String via = v6 ? owner.ipv6() : owner.ipv4();
                    if (via != null) {
                        want.put(dst, "route replace " + dst + " via " + via + " proto " + PROTO);
                    }
                }
            }
        }
        return want;
    }

    /**
     * weir's routes in the namespace now, by destination with its length. Read as text: {@code ip -j} prints an
     * encapsulated route's outer destination under the same key as the route's.
     */
    private java.util.Set<String> present() {
        java.util.Set<String> present = new java.util.HashSet<>();
        for (String family : List.of("-4", "-6")) {
            String out = IpCommand.run(IpCommand.ip(netns, List.of(family, "route", "show", "proto", String.valueOf(PROTO))), null);
            for (String line : out.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                String dst = line.strip().split("\\s+")[0];
                present.add(dst.contains("/") ? dst : dst + (family.equals("-6") ? "/128" : "/32"));
            }
        }
        return present;
    }

    /**
     * Removes what weir's routing put in a network namespace (null: this one): every route of protocol {@value #PROTO}
     * and the device {@value #VXLAN}; nothing else. For {@code weir uninstall}, with the agents stopped.
     *
     * @return what was removed, one line each (empty when nothing was there)
     */
    public static List<String> removeOwn(String netns) {
        List<String> done = new ArrayList<>();
        String where = netns == null ? "this namespace" : netns;
        for (String family : List.of("-4", "-6")) {
            String out = IpCommand.run(IpCommand.ip(netns, List.of(family, "route", "show", "proto", String.valueOf(PROTO))), null);
            long n = out.lines().filter(l -> !l.isBlank()).count();
            if (n > 0) {
                IpCommand.run(IpCommand.ip(netns, List.of(family, "route", "flush", "proto", String.valueOf(PROTO))), null);
                done.add("removed " + n + " IPv" + family.substring(1) + " route(s) of protocol " + PROTO + " in " + where);
            }
        }
        try {
            JsonNode l = MAPPER.readTree(IpCommand.run(IpCommand.ip(netns, List.of("-j", "link", "show", "dev", VXLAN)), null));
            if (l.isArray() && !l.isEmpty()) {
                IpCommand.run(IpCommand.ip(netns, List.of("link", "del", VXLAN)), null);
                done.add("removed " + VXLAN + " in " + where);
            }
        } catch (IpCommand.Failed | IOException e) {
            // no such device
        }
        return done;
    }

    /** Creates the VXLAN device with that MTU unless it exists; returns its ifindex. */
    private int ensureVxlan(int mtu) {
        int ifindex = ifindex(VXLAN);
        if (ifindex == 0) {
            IpCommand.run(IpCommand.ip(netns, List.of("link", "add", VXLAN, "mtu", String.valueOf(mtu), "type", "vxlan",
                    "external", "dstport", String.valueOf(VXLAN_PORT))), null);
            IpCommand.run(IpCommand.ip(netns, List.of("link", "set", VXLAN, "arp", "off", "up")), null);
            ifindex = ifindex(VXLAN);
            log.accept("routes: created " + VXLAN + " (mtu " + mtu + ", ifindex " + ifindex + ")");
        }
        return ifindex;
    }

    /** Removes the VXLAN device of an earlier tunnel mode (its routes go with it); returns 0. */
    private int removeVxlan() {
        if (ifindex(VXLAN) != 0) {
            IpCommand.run(IpCommand.ip(netns, List.of("link", "del", VXLAN)), null);
            log.accept("routes: removed " + VXLAN + " (routing is " + routing + ")");
        }
        return 0;
    }

    /** The interface's index in the namespace, 0 when missing. */
    private int ifindex(String iface) {
        try {
            JsonNode l = MAPPER.readTree(IpCommand.run(IpCommand.ip(netns, List.of("-j", "link", "show", "dev", iface)), null));
            return l.isArray() && !l.isEmpty() ? l.get(0).path("ifindex").asInt() : 0;
        } catch (IpCommand.Failed | IOException e) {
            return 0;
        }
    }

    /** The MTU of the interface that holds the node's IPv4 address (1500 when it cannot be told). */
    int underlayMtu(Node self) {
        if (self.ipv4() == null) {
            return 1500;
        }
        try {
            JsonNode addrs = MAPPER.readTree(IpCommand.run(IpCommand.ip(self.netns(), List.of("-j", "-4", "addr", "show")), null));
            for (JsonNode link : addrs) {
                for (JsonNode a : link.path("addr_info")) {
                    if (self.ipv4().equals(a.path("local").asText())) {
                        return link.path("mtu").asInt(1500);
                    }
                }
            }
        } catch (IpCommand.Failed | IOException e) {
            log.accept("routes: cannot read the underlay's MTU (" + e.getMessage() + "); assuming 1500");
        }
        return 1500;
    }

    /**
     * The MTU pods get: the underlay's, less the encapsulation when tunnelling (as read at the first {@link #apply});
     * null before. Read by weir-cni's ADDs, so it costs nothing.
     */
    public Integer podMtu() {
        return podMtu;
    }
}
