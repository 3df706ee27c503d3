package dev.weir.ebpf;

import java.util.List;

/**
 * What the kernel says about a program ({@code struct bpf_prog_info}). {@code runTimeNs} and
 * {@code runCount} stay 0 unless {@code kernel.bpf_stats_enabled} is set.
 */
public record ProgramInfo(int id, String name, ProgramType type, String tag, List<Integer> mapIds,
                          long loadTimeNs, int createdByUid, int xlatedLength, int jitedLength,
                          int verifiedInstructions, long runTimeNs, long runCount) {

    public ProgramInfo {
        mapIds = List.copyOf(mapIds);
    }
}
