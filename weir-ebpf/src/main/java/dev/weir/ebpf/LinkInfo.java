package dev.weir.ebpf;

/**
 * What the kernel says about a link ({@code struct bpf_link_info}). {@code ifindex} is set for XDP and
 * tcx links, {@code cgroupId} for cgroup links; {@code attachType} is empty when the kernel does not
 * report one for this link type.
 */
public record LinkInfo(int id, Type type, int rawType, int programId, int ifindex, long cgroupId,
                       java.util.Optional<AttachType> attachType) {

    /** {@code enum bpf_link_type}. */
    public enum Type {
        UNSPEC, RAW_TRACEPOINT, TRACING, CGROUP, ITER, NETNS, XDP, PERF_EVENT, KPROBE_MULTI, STRUCT_OPS,
        NETFILTER, TCX, UPROBE_MULTI, NETKIT, SOCKMAP, OTHER;

        static Type of(int code) {
            Type[] all = values();
            return code >= 0 && code < OTHER.ordinal() ? all[code] : OTHER;
        }
    }
}
