package dev.weir.ebpf.netlink;

/**
 * A veth pair to create: {@code name} where the request is made, {@code peerName} in another namespace.
 *
 * @param mac  the first end's MAC address (6 bytes), or null for the kernel's random one
 * @param mtu  both ends' MTU, or null for the default
 */
public record Veth(String name, byte[] mac, String peerName, byte[] peerMac, Integer mtu) {

    private static final int MAX_IFNAME = 15;

    public Veth {
        checkName(name);
        checkName(peerName);
        checkMac(mac, name);
        checkMac(peerMac, peerName);
    }

    private static void checkName(String n) {
        if (n == null || n.isEmpty() || n.length() > MAX_IFNAME || n.contains("/") || n.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("invalid interface name '" + n + "' (1 to 15 characters, no '/' or space)");
        }
    }

    private static void checkMac(byte[] mac, String of) {
        if (mac != null && mac.length != 6) {
            throw new IllegalArgumentException("MAC address of " + of + " has " + mac.length + " bytes, not 6");
        }
    }
}
