package dev.weir.agent.datapath;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import dev.weir.datapath.DropReason;
import dev.weir.datapath.endpoint.Counter;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;

/**
 * The per-reason counters of the node's TC and socket programs, read from their pinned per-CPU arrays and
 * summed over the CPUs: {@code ep_stats} ({@code tc_endpoint}: every pod's packets), {@code np_stats}
 * ({@code nodeport}: the underlay program's drops and translations) and {@code lb_sock_stats} ({@code sock_lb}:
 * socket operations translated or refused) and {@code sockmap_stats} ({@code sockmap}: same-node TCP messages
 * redirected socket to socket, or left to the stack). Only reasons weir names and that counted something; the
 * bookkeeping slots (events sent and lost) are left out. Stateless: each read opens and closes the pins.
 */
final class ProgramCounters {

    /** Program (object) name to its counter map's pin name. */
    static final Map<String, String> MAPS = Map.of("tc_endpoint", EndpointMaps.STATS, "nodeport", NodePortMaps.STATS,
            "sock_lb", LbMaps.SOCK_STATS, "sockmap", dev.weir.datapath.sockmap.SockmapMaps.STATS);

    private ProgramCounters() {
    }

    /** By program, by reason code: {packets, bytes}; a program whose map is not pinned is absent. */
    static Map<String, Map<Integer, long[]>> read(Path pinDir) {
        Map<String, Map<Integer, long[]>> out = new TreeMap<>();
        MAPS.forEach((program, map) -> {
            Path pin = pinDir.resolve(map);
            if (Files.exists(pin)) {
                out.put(program, read(pin, program));
            }
        });
        return out;
    }

    private static Map<Integer, long[]> read(Path pin, String program) {
        Map<Integer, long[]> out = new TreeMap<>();
        try (BpfPerCpuMap<Integer, Counter> m = BpfPerCpuMap.fromPinPerCpu(pin, Codec.u32(), Counter.CODEC)) {
            for (DropReason r : DropReason.values()) {
                if (!r.isVerdict() || r.code() >= m.maxEntries()) {
                    continue;
                }
                Counter c = m.lookupSum(r.code(), Counter::plus);
                if (c != null && c.packets() > 0) {
                    out.put(r.code(), new long[] {c.packets(), c.bytes()});
                }
            }
        }
        return out;
    }
}
