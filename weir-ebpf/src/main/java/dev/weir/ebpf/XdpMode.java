package dev.weir.ebpf;

/** Where an XDP program runs. */
public enum XdpMode {
    /** In the driver ({@code XDP_FLAGS_DRV_MODE}); fails when the driver lacks native XDP. */
    NATIVE,
    /** In the generic network stack ({@code XDP_FLAGS_SKB_MODE}); works everywhere, slower. */
    GENERIC,
    /** Native, else generic; {@link XdpLink#mode()} tells which. */
    AUTO;

    static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    static final int XDP_FLAGS_DRV_MODE = 1 << 2;
}
