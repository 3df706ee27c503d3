package dev.weir.agent.cni;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.weir.agent.net.IpCommand;

/**
 * A pod's veth, wired as weir wires every endpoint: the host side ({@code lxc…}) in the node's network namespace
 * with the gateway addresses {@value #GATEWAY4} and {@value #GATEWAY6} and a host route to each pod address (from the
 * node's own address, so that what the node sends its pods comes from the host identity); the
 * pod side ({@code CNI_IFNAME}) in the pod's namespace with the pod's /32 and /128, default routes via the
 * gateways and the MTU given. Done with iproute2 ({@code ip -batch}, {@code nsenter} for the pod's namespace,
 * which the runtime names by path). Stateless.
 */
public final class PodLink {

    public static final String GATEWAY4 = "169.254.1.1";
    public static final String GATEWAY6 = "fe80::1";
    private static final int MAX_IFNAME = 15;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 20;

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
     * Creates the veth with its pod side already in the pod's namespace, and wires the host side (its gateway
     * addresses, a host route per pod address): one iproute2 batch in the node's namespace. A host side left by an
     * earlier failed ADD is replaced; on failure nothing of it stays.
     */
    public void createHostSide(String host, String podNetns, String ifName, List<String> addresses, Integer mtu) {
        if (!Files.exists(Path.of(podNetns))) {
            throw new CniException(CniException.INVALID_ENVIRONMENT, "the pod's network namespace does not exist", podNetns);
        }
        String mtuArg = mtu == null ? "" : " mtu " + mtu;
        List<String> node = new ArrayList<>(List.of("link add " + host + " address " + hostMac(host) + mtuArg
                        + " type veth peer name " + ifName + " address " + podMac(host) + mtuArg + " netns " + podNetns,
                "link set " + host + " up",
                "addr add " + GATEWAY4 + "/32 dev " + host, "addr add " + GATEWAY6 + "/64 dev " + host + " nodad"));
        for (String a : addresses) {
            boolean v6 = a.contains(":");
            String src = v6 ? nodeIpv6 : nodeIpv4;
            node.add("route replace " + a + (v6 ? "/128" : "/32") + " dev " + host + (src == null ? "" : " src " + src));
        }
        String nodeBatch = String.join("\n", node) + "\n";
        try {
            run(nodeIp(List.of("-batch", "-")), nodeBatch);
        } catch (CniException e) {
            delete(host); // the batch stops at its first failure: nothing half-wired stays
            if (!e.details().contains("File exists")) {
                throw e;
            }
            run(nodeIp(List.of("-batch", "-")), nodeBatch); // left by an earlier ADD that failed half-way
        }
    }

    /** The pod side: up, the pod's addresses, default routes via the gateways; one iproute2 batch in the pod's namespace. */
    public void wirePodSide(String host, String podNetns, String ifName, List<String> addresses) {
        List<String> pod = new ArrayList<>(List.of("link set lo up", "link set " + ifName + " up"));
        for (String a : addresses) {
            pod.add("addr add " + a + (a.contains(":") ? "/128 dev " + ifName + " nodad" : "/32 dev " + ifName));
        }
        if (addresses.stream().anyMatch(a -> !a.contains(":"))) {
            pod.add("route add " + GATEWAY4 + "/32 dev " + ifName + " scope link");
            pod.add("route add default via " + GATEWAY4 + " dev " + ifName);
        }
        if (addresses.stream().anyMatch(a -> a.contains(":"))) {
            pod.add("route add default via " + GATEWAY6 + " dev " + ifName);
        }
        run(podIp(podNetns, List.of("-batch", "-")), String.join("\n", pod) + "\n");
    }

    /** Removes the host side (the kernel removes the pod side with it); nothing when it is gone. */
    public void delete(String host) {
        if (exists(host)) {
            try {
                run(nodeIp(List.of("link", "del", host)), null);
            } catch (CniException e) {
                if (exists(host)) {
                    throw e;
                }
            }
        }
    }

    /** Whether the host side exists. */
    public boolean exists(String host) {
        return links(nodeIp(List.of("-j", "link", "show", "dev", host))).size() == 1;
    }

    /** The host side's MAC address, which {@link #create} gives it: locally administered, from the name. */
    public static String hostMac(String host) {
        return mac("host/" + host);
    }

    /** The pod side's MAC address, which {@link #create} gives it. */
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

    /** The global addresses on the pod side (without prefix lengths); empty when the interface is missing. */
    public Set<String> podAddresses(String podNetns, String ifName) {
        Set<String> addresses = new TreeSet<>();
        for (JsonNode link : links(podIp(podNetns, List.of("-j", "addr", "show", "dev", ifName)))) {
            for (JsonNode a : link.path("addr_info")) {
                if (!"link".equals(a.path("scope").asText())) {
                    addresses.add(a.path("local").asText());
                }
            }
        }
        return addresses;
    }

    private List<String> nodeIp(List<String> args) {
        return IpCommand.ip(nodeNetns, args);
    }

    private static List<String> podIp(String podNetns, List<String> args) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + podNetns, "ip"));
        argv.addAll(args);
        return argv;
    }

    /** The JSON list {@code ip -j} prints; empty when the device does not exist. */
    private static List<JsonNode> links(List<String> argv) {
        String out;
        try {
            out = run(argv, null);
        } catch (CniException e) {
            return List.of();
        }
        try {
            List<JsonNode> links = new ArrayList<>();
            MAPPER.readTree(out.isBlank() ? "[]" : out).forEach(links::add);
            return links;
        } catch (IOException e) {
            throw new CniException(CniException.IO_FAILURE, "cannot read what " + String.join(" ", argv) + " printed", e.getMessage());
        }
    }

    /** Runs a command, returning its stdout; a failure is an I/O failure naming the command and its stderr. */
    static String run(List<String> argv, String stdin) {
        try {
            return IpCommand.run(argv, stdin);
        } catch (IpCommand.Failed e) {
            throw new CniException(CniException.IO_FAILURE, e.getMessage(), e.stderr());
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
