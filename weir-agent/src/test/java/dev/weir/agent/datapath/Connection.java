package dev.weir.agent.datapath;

import java.util.ArrayList;
import java.util.List;
import dev.weir.testkit.Frames;

/**
 * One new connection to judge: family, the two parties by name ({@code x/a} a pod, {@code ext} the
 * external client, a node's name for that node's address) and the probe. Immutable.
 */
record Connection(int family, String src, String dst, Probe probe) {

    /** A protocol and destination port; {@code ICMP} stands for the family's echo request (port 0). */
    record Probe(String name, int proto, int port) {
        static final Probe ICMP_ECHO = new Probe("ICMP/echo", Frames.ICMP, 0);

        /** The four matrix ports (TCP/80, TCP/81, UDP/80, UDP/81), TCP/443, SCTP/80 and ICMP echo. */
        static final List<Probe> ALL = List.of(tcp(80), tcp(81), udp(80), udp(81), tcp(443),
                new Probe("SCTP/80", Frames.SCTP, 80), ICMP_ECHO);

        static Probe tcp(int port) {
            return new Probe("TCP/" + port, Frames.TCP, port);
        }

        static Probe udp(int port) {
            return new Probe("UDP/" + port, Frames.UDP, port);
        }

        /** The protocol number as the packet carries it in this family (ICMPv6 for IPv6 echo). */
        int proto(int family) {
            return proto == Frames.ICMP && family == 6 ? Frames.ICMPV6 : proto;
        }

        boolean isMatrixPort() {
            return port != 443 && (proto == Frames.TCP || proto == Frames.UDP);
        }
    }

    /** Every ordered pair of distinct parties (but never two addresses) times every probe. */
    static List<Connection> all(int family, List<String> parties, List<String> addresses, List<Probe> probes) {
        List<Connection> out = new ArrayList<>();
        for (String a : parties) {
            for (String b : parties) {
                if (a.equals(b) || (addresses.contains(a) && addresses.contains(b))) {
                    continue;
                }
                for (Probe p : probes) {
                    out.add(new Connection(family, a, b, p));
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "IPv" + family + " " + src + " -> " + dst + " " + probe.name();
    }
}
