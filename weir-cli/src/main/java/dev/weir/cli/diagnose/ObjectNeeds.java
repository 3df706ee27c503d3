package dev.weir.cli.diagnose;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.weir.cli.ops.ProbeCommand;
import dev.weir.datapath.Datapath;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.Probe;
import dev.weir.ebpf.ProgramSpec;

/**
 * What weir's embedded BPF objects need of the kernel, read from their specs (program and map types; no object is
 * loaded), each answered by the same feature probes {@code weir probe} runs, plus the attach paths the agent uses
 * (tcx; the cgroup getpeername hooks of the socket LB). Reads only.
 */
final class ObjectNeeds {

    /**
     * The objects an agent loads, and whether it can run without each (the prefilter loads only when asked; the socket
     * LB falls back to TC; without the workload guard's hooks no pod is guarded).
     */
    static final Map<String, Boolean> OBJECTS = objects();

    private ObjectNeeds() {
    }

    private static Map<String, Boolean> objects() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        m.put("tc_endpoint", true);
        m.put("nodeport", true);
        m.put("sock_lb", false);
        m.put("sock_guard", false);
        m.put("xdp_prefilter", false);
        return m;
    }

    static List<Facts.Need> read() {
        List<Facts.Need> out = new ArrayList<>();
        OBJECTS.forEach((name, required) -> {
            ObjectSpec spec = ObjectSpec.read(name, Datapath.object(name));
            spec.programs().stream().map(ProgramSpec::type).distinct().forEach(t ->
                    out.add(need(name, "program " + t.name().toLowerCase(), required, Features.programType(t))));
            spec.maps().stream().filter(m -> !m.isInternal()).map(MapSpec::type).distinct().forEach(t ->
                    out.add(need(name, "map " + t.name().toLowerCase(), required, Features.mapType(t))));
        });
        out.add(need("tc_endpoint", "tcx links", false, Features.tcx()));
        out.add(need("sock_lb", "cgroup getpeername hooks", false, Features.cgroupSockAddr(AttachType.CGROUP_INET6_GETPEERNAME)));
        return out;
    }

    private static Facts.Need need(String object, String feature, boolean required, Probe p) {
        ProbeCommand.Row r = ProbeCommand.row(feature, p, "");
        return new Facts.Need(object, feature, required, r.status(), r.detail());
    }
}
