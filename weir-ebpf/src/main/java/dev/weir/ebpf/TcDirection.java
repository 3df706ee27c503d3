package dev.weir.ebpf;

/** Which side of an interface a TC program sees. */
public enum TcDirection {
    INGRESS(AttachType.TCX_INGRESS, 1),
    EGRESS(AttachType.TCX_EGRESS, 2);

    private final AttachType tcx;
    private final int tcAttachPoint;

    TcDirection(AttachType tcx, int tcAttachPoint) {
        this.tcx = tcx;
        this.tcAttachPoint = tcAttachPoint;
    }

    /** The tcx attach type. */
    public AttachType tcxAttachType() {
        return tcx;
    }

    /** libbpf's {@code enum bpf_tc_attach_point}. */
    int tcAttachPoint() {
        return tcAttachPoint;
    }
}
