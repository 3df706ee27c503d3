package dev.weir.ebpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Network interface names and indexes, resolved in the calling thread's network namespace (run inside
 * {@link dev.weir.ebpf.netns.NetworkNamespace#call} for another one). Stateless.
 */
public final class NetInterface {

    private static final long SIOCGIFHWADDR = 0x8927;
    private static final long SIOCETHTOOL = 0x8946;
    private static final int ETHTOOL_GGRO = 0x2b;
    private static final int ETHTOOL_SGRO = 0x2c;
    private static final int IFREQ = 40;
    private static final int IFNAMSIZ = 16;

    private NetInterface() {
    }

    /**
     * The hardware (MAC) address of interface {@code ifname}, 6 bytes.
     *
     * @throws BpfKernelException {@code SIOCGIFHWADDR(ifname): ENODEV (19)} when there is no such interface
     */
    public static byte[] hardwareAddress(String ifname) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifreq = ifreq(arena, ifname);
            Native.check(LibC.interfaceIoctl(SIOCGIFHWADDR, ifreq), "SIOCGIFHWADDR", ifname);
            return ifreq.asSlice(IFNAMSIZ + 2, 6).toArray(ValueLayout.JAVA_BYTE);  // after sa_family
        }
    }

    /** Whether generic receive offload is on for {@code ifname} ({@code ethtool -k}'s generic-receive-offload). */
    public static boolean gro(String ifname) {
        return ethtoolValue(ifname, ETHTOOL_GGRO, 0) != 0;
    }

    /**
     * Turns generic receive offload on or off for {@code ifname}, as {@code ethtool -K ifname gro on|off}.
     *
     * @throws BpfKernelException {@code ETHTOOL_SGRO(ifname)} with the kernel's errno
     */
    public static void gro(String ifname, boolean on) {
        ethtoolValue(ifname, ETHTOOL_SGRO, on ? 1 : 0);
    }

    /** One {@code struct ethtool_value} request; returns its data afterwards. */
    private static int ethtoolValue(String ifname, int cmd, int data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(8, 8);
            value.set(ValueLayout.JAVA_INT, 0, cmd);
            value.set(ValueLayout.JAVA_INT, 4, data);
            MemorySegment ifreq = ifreq(arena, ifname);
            ifreq.set(ValueLayout.ADDRESS_UNALIGNED, IFNAMSIZ, value);
            Native.check(LibC.interfaceIoctl(SIOCETHTOOL, ifreq), cmd == ETHTOOL_SGRO ? "ETHTOOL_SGRO" : "ETHTOOL_GGRO", ifname);
            return value.get(ValueLayout.JAVA_INT, 4);
        }
    }

    private static MemorySegment ifreq(Arena arena, String ifname) {
        byte[] name = ifname.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (name.length == 0 || name.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("invalid interface name '" + ifname + "'");
        }
        MemorySegment ifreq = arena.allocate(IFREQ, 8);
        MemorySegment.copy(name, 0, ifreq, ValueLayout.JAVA_BYTE, 0, name.length);
        return ifreq;
    }

    /**
     * The index of interface {@code ifname}.
     *
     * @throws BpfKernelException {@code if_nametoindex(ifname): ENODEV (19)} when there is no such interface
     */
    public static int index(String ifname) {
        int rc = LibC.ifNameToIndex(ifname);
        return Native.check(rc, "if_nametoindex", ifname);
    }

    /**
     * The name of interface {@code index}.
     *
     * @throws BpfKernelException {@code if_indextoname}'s errno (ENXIO) when there is no such interface
     */
    public static String name(int index) {
        int[] errno = new int[1];
        String name = LibC.ifIndexToName(index, errno);
        if (name == null) {
            throw new BpfKernelException("if_indextoname", Integer.toString(index), errno[0]);
        }
        return name;
    }
}
