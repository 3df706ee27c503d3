package dev.weir.ebpf;

/**
 * The XDP programs on one interface ({@code bpf_xdp_query}); 0 where none is attached.
 *
 * @param programId the program attached in the single-program modes
 * @param nativeProgramId attached in driver mode
 * @param genericProgramId attached in generic (skb) mode
 * @param offloadProgramId offloaded to hardware
 * @param attachMode the kernel's {@code XDP_ATTACHED_*} (0 none, 1 drv, 2 skb, 3 hw, 4 multi)
 */
public record XdpStatus(int ifindex, int programId, int nativeProgramId, int genericProgramId,
                        int offloadProgramId, int attachMode) {

    /** True when no XDP program is attached. */
    public boolean isEmpty() {
        return attachMode == 0;
    }
}
