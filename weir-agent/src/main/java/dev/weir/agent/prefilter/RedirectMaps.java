package dev.weir.agent.prefilter;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import dev.weir.datapath.prefilter.Macs;
import dev.weir.datapath.prefilter.PfAddr;
import dev.weir.datapath.prefilter.PfRdrEp;
import dev.weir.datapath.prefilter.PfRdrIf;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfKernelException;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.netlink.Route;

/**
 * Writes the redirect stage's maps of one pinned prefilter: {@code pf_rdr_if} (the attached interfaces, by
 * ifindex, with their MAC), {@code pf_rdr_ep} (local pod address to endpoint, lxc ifindex, MACs) and
 * {@code pf_devmap} (the lxc ifindexes). Must run on a thread in the node's network namespace: interface names
 * resolve there, and the kernel resolves a devmap entry's ifindex in its writer's namespace. A pod whose lxc is
 * gone is left out. Used once per write; opens and closes the pins.
 */
final class RedirectMaps {

    private final Path dir;

    RedirectMaps(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes the maps hold exactly {@code ifaces} and {@code pods} (null: nothing).
     *
     * @return entries written and deleted
     */
    int write(java.util.List<String> ifaces, java.util.List<RedirectPod> pods) {
        Map<Integer, PfRdrIf> wantIf = new HashMap<>();
        Map<PfAddr, PfRdrEp> wantEp = new HashMap<>();
        Map<Integer, Integer> wantDev = new HashMap<>();
        if (pods != null) {
            for (String iface : ifaces) {
                index(iface).ifPresent(i -> wantIf.put(i, new PfRdrIf(NetInterface.hardwareAddress(iface))));
            }
            for (RedirectPod p : pods) {
                index(p.hostInterface()).ifPresent(i -> {
                    PfRdrEp ep = new PfRdrEp(p.endpointId(), i, Macs.parse(p.podMac()),
                            NetInterface.hardwareAddress(p.hostInterface()));
                    p.addresses().forEach(a -> wantEp.put(PfAddr.of(address(a)), ep));
                    wantDev.put(i, i);
                });
            }
        }
        try (var rif = BpfMap.fromPin(dir.resolve(PrefilterMaps.RDR_IF), Codec.u32(), PfRdrIf.CODEC);
             var rep = BpfMap.fromPin(dir.resolve(PrefilterMaps.RDR_EP), PfAddr.CODEC, PfRdrEp.CODEC);
             var dev = BpfMap.fromPin(dir.resolve(PrefilterMaps.DEVMAP), Codec.u32(), Codec.u32())) {
            // the devmap first and out of it last: an endpoint entry never names an lxc the devmap lacks
            int n = sync(dev, wantDev, false);
            n += sync(rep, wantEp, true) + sync(rif, wantIf, true);
            return n + sync(dev, wantDev, true);
        }
    }

    /** Puts what differs ({@code deletes} false) or deletes what is not wanted (true: also puts). */
    private static <K, V> int sync(BpfMap<K, V> map, Map<K, V> want, boolean deletes) {
        Map<K, V> have = map.entries();
        int n = 0;
        for (var e : want.entrySet()) {
            if (!e.getValue().equals(have.get(e.getKey()))) {
                map.put(e.getKey(), e.getValue());
                n++;
            }
        }
        if (deletes) {
            for (K k : have.keySet()) {
                if (!want.containsKey(k)) {
                    map.delete(k);
                    n++;
                }
            }
        }
        return n;
    }

    private static Optional<Integer> index(String iface) {
        try {
            return Optional.of(NetInterface.index(iface));
        } catch (BpfKernelException e) {
            return Optional.empty();
        }
    }

    private static InetAddress address(String text) {
        return Route.address(text);
    }
}
