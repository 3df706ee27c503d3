package dev.weir.ebpf;

/**
 * Network interface names and indexes, resolved in the calling thread's network namespace (run inside
 * {@link dev.weir.ebpf.netns.NetworkNamespace#call} for another one). Stateless.
 */
public final class NetInterface {

    private NetInterface() {
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
