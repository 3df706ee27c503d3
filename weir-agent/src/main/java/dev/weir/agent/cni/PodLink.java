package dev.weir.agent.cni;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.weir.agent.service.IpAddress;
import dev.weir.ebpf.BpfKernelException;
import dev.weir.ebpf.Errno;
import dev.weir.ebpf.netlink.Route;
import dev.weir.ebpf.netlink.Rtnetlink;
import dev.weir.ebpf.netlink.Veth;
import dev.weir.ebpf.netns.NetnsException;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * A pod's veth, wired as weir wires every endpoint: the host side ({@code lxc…}) in the node's network namespace
 * with the gateway addresses {@value #GATEWAY4} and {@value #GATEWAY6} and a host route to each pod address (from the
 * node's own address, so that what the node sends its pods comes from the host identity); the
 * pod side ({@code CNI_IFNAME}) in the pod's namespace with the pod's /32 and /128, default routes via the
 * gateways and the MTU given. Done with rtnetlink from the agent ({@link Rtnetlink}: a socket opened in the node's
 * namespace, one in the pod's, which the runtime names by path; no iproute2 process), every request acknowledged; a
 * refusal is an I/O failure naming the operation, the interface and the errno. Stateless.
 */
public final class PodLink {

    public static final String GATEWAY4 = "169.254.1.1";
    public static final String GATEWAY6 = "fe80::1";
    private static final int MAX_IFNAME = 15;

    /** The node's network namespace: a name under /run/netns, or null for the agent's own (the host's). */
    private final String nodeNetns;
    private final String nodeIpv4;
    private final String nodeIpv6;

    public PodLink(String nodeNetns) {
        this(nodeNetns, null, null);
    }

    /**
     * @param nodeIpv4 the node's own address, the source of what the node itself sends to its pods (so that their
     *                 policy sees the host), or null
     */
    public PodLink(String nodeNetns, String nodeIpv4, String nodeIpv6) {
        this.nodeNetns = nodeNetns;
        this.nodeIpv4 = nodeIpv4;
        this.nodeIpv6 = nodeIpv6;
    }

    /** The node's network namespace (a name under /run/netns), or null for the agent's own. */
    public String nodeNetns() {
        return nodeNetns;
    }

    /**
     * The host-side name for a pod: {@code lxc-<ns>-<pod>} when that fits in 15 characters, else {@code lxc} and
     * 12 hex digits of the SHA-1 of {@code ns/pod} (the names weir's lab has always used); {@code lxc} and 12 hex
     * digits of the SHA-1 of {@code containerId/ifName} when the runtime names no pod.
     */
    public static String hostName(CniRequest r) {
        if (r.namesPod()) {
            String plain = "lxc-" + r.podNamespace() + "-" + r.podName();
            return plain.length() <= MAX_IFNAME ? plain : "lxc" + sha1(r.podKey());
        }
        return byContainer(r);
    }

    /** {@code lxc} and 12 hex digits of the SHA-1 of {@code containerId/ifName}: unique per attachment. */
    public static String byContainer(CniRequest r) {
        return "lxc" + sha1(r.containerId() + "/" + r.ifName());
    }

    /**
     * Creates the veth with its pod side already in the pod's namespace (MACs and MTU set at creation), brings the
     * host side up and wires it (its gateway addresses, a host route per pod address). A host side left by an earlier
     * failed ADD is replaced; on failure nothing of it stays.
     */
    public void createHostSide(String host, String podNetns, String ifName, List<String> addresses, Integer mtu) {
        if (!Files.exists(Path.of(podNetns))) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "the pod's network namespace does not exist", podNetns);
        }
        Veth veth = new Veth(host, macBytes(hostMac(host)), ifName, macBytes(podMac(host)), mtu);
        onNode(node -> {
            try {
                wireHostSide(node, veth, Path.of(podNetns), addresses);
            } catch (BpfKernelException e) {
                deleteOn(node, host); // nothing half-wired stays
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
                try {
                    wireHostSide(node, veth, Path.of(podNetns), addresses); // left by an earlier ADD that failed half-way
                } catch (BpfKernelException again) {
                    deleteOn(node, host);
                    throw again;
                }
            }
            return null;
        });
    }

    private void wireHostSide(Rtnetlink node, Veth veth, Path podNetns, List<String> addresses) {
        String host = veth.name();
        node.createVeth(veth, podNetns, true);
        int index = node.requireIndex(host);
        node.addAddress(index, host, Route.address(GATEWAY4), 32, false);
        node.addAddress(index, host, Route.address(GATEWAY6), 64, true);
        for (String a : addresses) {
            InetAddress address = Route.address(a);
            String src = a.contains(":") ? nodeIpv6 : nodeIpv4;
            Route route = Route.direct(address, hostBits(address), index).replacing();
            node.addRoute(src == null ? route : route.from(Route.address(src)), host);
        }
    }

    /** The pod side: {@code lo} and it up, the pod's addresses, default routes via the gateways; in the pod's namespace. */
    public void wirePodSide(String host, String podNetns, String ifName, List<String> addresses) {
        onPod(podNetns, pod -> {
            pod.setUp(pod.requireIndex("lo"), "lo");
            int index = pod.requireIndex(ifName);
            pod.setUp(index, ifName);
            for (String a : addresses) {
                InetAddress address = Route.address(a);
                pod.addAddress(index, ifName, address, hostBits(address), a.contains(":"));
            }
            if (addresses.stream().anyMatch(a -> !a.contains(":"))) {
                pod.addRoute(Route.direct(Route.address(GATEWAY4), 32, index), ifName);
                pod.addRoute(Route.defaultVia(Route.address(GATEWAY4), index), ifName);
            }
            if (addresses.stream().anyMatch(a -> a.contains(":"))) {
                pod.addRoute(Route.defaultVia(Route.address(GATEWAY6), index), ifName);
            }
            return null;
        });
    }

    /**
     * Turns generic receive offload on for the pod side ({@code ethtool -K <ifName> gro on} in the pod's namespace):
     * the prefilter's redirect stage sends frames into the host side with {@code ndo_xdp_xmit}, which a veth accepts
     * only when its peer has GRO on (or runs XDP); otherwise the kernel drops them.
     */
    public void podGro(String podNetns, String ifName) {
        try {
            NetworkNamespace.at(Path.of(podNetns)).callUnchecked(() -> {
                dev.weir.ebpf.NetInterface.gro(ifName, true);
                return null;
            });
        } catch (BpfKernelException e) {
            throw new CniException(CniException.IO_FAILURE, e.getMessage(), e.detail());
        } catch (NetnsException | IllegalArgumentException e) {
            throw new CniException(CniException.IO_FAILURE, e.getMessage(), "");
        }
    }

    /** Removes the host side (the kernel removes the pod side with it); nothing when it is gone. */
    public void delete(String host) {
        onNode(node -> {
            deleteOn(node, host);
            return null;
        });
    }

    private static void deleteOn(Rtnetlink node, String host) {
        try {
            node.deleteLink(host);
        } catch (BpfKernelException e) {
            if (node.linkIndex(host).isPresent()) {
                throw e;
            }
        }
    }

    /** Whether the host side exists. */
    public boolean exists(String host) {
        return onNode(node -> node.linkIndex(host).isPresent());
    }

    /** The host side's MAC address, which {@link #createHostSide} gives it: locally administered, from the name. */
    public static String hostMac(String host) {
        return mac("host/" + host);
    }

    /** The pod side's MAC address, which {@link #createHostSide} gives it. */
    public static String podMac(String host) {
        return mac("pod/" + host);
    }

    private static String mac(String seed) {
        String h = sha1(seed);
        StringBuilder sb = new StringBuilder("02");
        for (int i = 0; i < 10; i += 2) {
            sb.append(':').append(h, i, i + 2);
        }
        return sb.toString();
    }

    private static byte[] macBytes(String text) {
        return HexFormat.ofDelimiter(":").parseHex(text);
    }

    /** The global addresses on the pod side (without prefix lengths); empty when the interface or namespace is missing. */
    public Set<String> podAddresses(String podNetns, String ifName) {
        Set<String> addresses = new TreeSet<>();
        if (!Files.exists(Path.of(podNetns))) {
            return addresses;
        }
        return onPod(podNetns, pod -> {
            pod.linkIndex(ifName).ifPresent(index -> pod.addresses().stream()
                    .filter(a -> a.index() == index && a.scope() != Rtnetlink.SCOPE_LINK)
                    .forEach(a -> addresses.add(IpAddress.parse(a.address().getHostAddress()).toString())));
            return addresses;
        });
    }

    private static int hostBits(InetAddress a) {
        return a.getAddress().length * 8;
    }

    /** Runs the steps on a socket in the node's namespace; a refusal becomes an I/O failure with the kernel's words. */
    private <T> T onNode(Function<Rtnetlink, T> steps) {
        return netlink(() -> nodeNetns == null ? NetworkNamespace.current() : NetworkNamespace.named(nodeNetns), steps);
    }

    private static <T> T onPod(String podNetns, Function<Rtnetlink, T> steps) {
        return netlink(() -> NetworkNamespace.at(Path.of(podNetns)), steps);
    }

    private static <T> T netlink(Supplier<NetworkNamespace> ns, Function<Rtnetlink, T> steps) {
        try (Rtnetlink socket = Rtnetlink.open(ns.get())) {
            return steps.apply(socket);
        } catch (BpfKernelException e) {
            throw new CniException(CniException.IO_FAILURE, e.getMessage(), e.detail());
        } catch (NetnsException | IllegalArgumentException e) {
            throw new CniException(CniException.IO_FAILURE, e.getMessage(), "");
        }
    }

    private static String sha1(String text) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 missing from the JDK", e);
        }
    }
}
