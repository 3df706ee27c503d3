package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.weir.agent.runtime.ConntrackReader;
import dev.weir.datapath.endpoint.CtKey;
import dev.weir.datapath.endpoint.CtVal;
import dev.weir.datapath.endpoint.EndpointMaps;

/** {@link ConntrackReader} over the node's pinned {@code ct} map, decoded for people. Thread-safe. */
final class ConntrackView implements ConntrackReader {

    private final Supplier<KernelPolicyDataplane.NodeMaps> maps;

    ConntrackView(Supplier<KernelPolicyDataplane.NodeMaps> maps) {
        this.maps = maps;
    }

    @Override
    public List<Entry> entries() {
        KernelPolicyDataplane.NodeMaps m = maps.get();
        if (m == null) {
            return List.of();
        }
        long now = System.nanoTime();
        List<Entry> out = new ArrayList<>();
        for (var e : m.ct.entries().entrySet()) {
            CtKey k = e.getKey();
            CtVal v = e.getValue();
            int family = isMapped(k.saddr()) ? 4 : 6;
            out.add(new Entry(proto(k.proto()), direction(k.dir()),
                    FlowEvents.text(k.saddr(), family), k.sport(), FlowEvents.text(k.daddr(), family), k.dport(), k.epId(),
                    (v.expiresNs() - now) / 1_000_000_000L, v.packetsFwd(), v.bytesFwd(), v.packetsRev(), v.bytesRev(),
                    v.peerIdentity(), v.rule(), state(v.state()), (v.flags() & CtVal.F_AUDIT) != 0, v.tcpFlagsSeen()));
        }
        return out;
    }

    @Override
    public int capacity() {
        KernelPolicyDataplane.NodeMaps m = maps.get();
        return m == null ? 0 : m.ct.maxEntries();
    }

    private static String direction(int dir) {
        return switch (dir) {
            case EndpointMaps.DIR_INGRESS -> "INGRESS";
            case EndpointMaps.DIR_EGRESS -> "EGRESS";
            case CtKey.DIR_SERVICE -> "SERVICE";
            default -> Integer.toString(dir);
        };
    }

    private static boolean isMapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static String state(int s) {
        return switch (s) {
            case CtVal.SYN_SENT -> "SYN_SENT";
            case CtVal.ESTABLISHED -> "ESTABLISHED";
            case CtVal.CLOSING -> "CLOSING";
            default -> "NONE";
        };
    }

    private static String proto(int p) {
        return switch (p) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 132 -> "SCTP";
            case 1 -> "ICMP";
            case 58 -> "ICMPv6";
            default -> Integer.toString(p);
        };
    }
}
