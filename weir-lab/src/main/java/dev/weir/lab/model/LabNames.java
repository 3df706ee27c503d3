package dev.weir.lab.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * How the lab names what it creates, so that {@code lab down} can find leftovers by name alone: network
 * namespaces {@code weir-<node>}, {@code weir-pod-<ns>-<pod>}, {@code weir-ext} and {@code weir-underlay};
 * host-side veths {@code lxc-<ns>-<pod>} (or {@code lxc} and a hash when that is longer than 15 bytes).
 * Stateless.
 */
public final class LabNames {

    /** Longest Linux interface name (IFNAMSIZ - 1). */
    public static final int MAX_IFNAME = 15;
    public static final String EXT_NETNS = "weir-ext";
    public static final String UNDERLAY_NETNS = "weir-underlay";
    public static final String UNDERLAY_BRIDGE = "br0";
    /** The interface name of a pod's veth end, a node's and ext's underlay port. */
    public static final String ETH0 = "eth0";

    private static final Pattern LAB_NETNS = Pattern.compile("weir-(node\\d+|pod-[a-z0-9-]+|ext|underlay)");

    private LabNames() {
    }

    public static String nodeNetns(String node) {
        return "weir-" + node;
    }

    public static String podNetns(PodRef pod) {
        return "weir-pod-" + pod.key();
    }

    /** True for every network namespace name the lab may have made (and {@code lab down} removes). */
    public static boolean isLabNetns(String name) {
        return LAB_NETNS.matcher(name).matches();
    }

    /** The host-side veth of a pod: {@code lxc-<ns>-<pod>}, or {@code lxc} + 12 hex digits of its SHA-1. */
    public static String hostInterface(PodRef pod) {
        String plain = "lxc-" + pod.key();
        if (plain.length() <= MAX_IFNAME) {
            return plain;
        }
        try {
            byte[] sha = MessageDigest.getInstance("SHA-1").digest(pod.toString().getBytes(StandardCharsets.UTF_8));
            return "lxc" + HexFormat.of().formatHex(sha).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 missing from the JDK", e);
        }
    }

    /** The underlay bridge port in the underlay namespace for a node or ext (e.g. {@code u-node1}). */
    public static String underlayPort(String member) {
        String name = "u-" + member;
        if (name.length() > MAX_IFNAME) {
            throw new IllegalArgumentException("underlay member name too long: " + member);
        }
        return name;
    }
}
