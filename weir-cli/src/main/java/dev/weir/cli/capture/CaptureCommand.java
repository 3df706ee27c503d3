package dev.weir.cli.capture;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.capture.PacketHeaders;
import dev.weir.cli.UserError;
import dev.weir.cli.agent.AgentDirectory;
import dev.weir.cli.agent.FlowFilterOptions;
import dev.weir.cli.output.Json;
import dev.weir.datapath.capture.CaptureMaps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weir capture}: packets as weir's hooks saw them, XDP drops included, written as pcapng with the hook,
 * verdict and reason of each packet in its comment; or {@code --read} to list such a file.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = {"Capture the packets weir's hooks saw or dropped into a pcapng file (tcpdump -r, Wireshark),",
                "XDP prefilter drops included, which no tcpdump can see. Each packet records its node, hook",
                "(xdp/weir_prefilter, tc/weir_from_ep, tc/weir_to_ep, tc/weir_from_netdev), verdict and reason",
                "in its comment (weir capture --read FILE lists them). Packets are cut after their headers",
                "(Ethernet, IP, TCP/UDP/ICMP) unless --payload. Selected with observe's filters; the",
                "verdict is FORWARDED or DROPPED. Stops at --duration, --count or --max-bytes, or on Ctrl-C.",
                "One capture at a time per node."})
public final class CaptureCommand implements Callable<Integer> {

    @Option(names = {"-w", "--write"}, paramLabel = "FILE", description = "The pcapng file to write.")
    Path write;

    @Option(names = {"-r", "--read"}, paramLabel = "FILE", description = "List the packets of a capture with their hook, verdict and reason.")
    Path read;

    @Option(names = "--duration", paramLabel = "D", description = "Stop after this long (500ms, 30s, 5m, 1h; default: no limit).")
    String duration;

    @Option(names = {"-c", "--count"}, description = "Stop after N packets (default: no limit).")
    long count;

    @Option(names = "--max-bytes", paramLabel = "SIZE", defaultValue = "64M",
            description = "Stop before the file grows past SIZE (bytes, or with K, M, G; default: ${DEFAULT-VALUE}).")
    String maxBytes;

    @Option(names = "--payload", description = "Keep the payload (up to --snaplen bytes of each packet), not only the headers.")
    boolean payload;

    @Option(names = "--snaplen", description = "Bytes the kernel copies per packet, 1.." + CaptureMaps.SNAP_MAX
            + " (default: 128, or " + CaptureMaps.SNAP_MAX + " with --payload).")
    Integer snaplen;

    @Option(names = "--hook", description = "Only at this hook: prefilter, from-ep, to-ep, from-netdev (default: all).")
    List<String> hooks = new ArrayList<>();

    @Option(names = "--node", description = "Only this node's agent (default: every node).")
    String node;

    @Option(names = "--iface", description = "Capture on this interface instead (AF_PACKET, as tcpdump; no agent needed), filtered "
            + "and cut in the kernel by weir's socket filter program: only --host, --port, --protocol, --netns apply.")
    String iface;

    @Option(names = "--netns", description = "With --iface: the interface's network namespace (e.g. weir-node1).")
    String netns;

    @Option(names = "--host", paramLabel = "ADDR", description = "With --iface: packets from or to this address.")
    String host;

    @Mixin
    FlowFilterOptions filters = new FlowFilterOptions();

    @Override
    public Integer call() throws Exception {
        if ((write == null) == (read == null)) {
            throw new UserError("give one of -w FILE (capture) and --read FILE (list a capture)");
        }
        if (read != null) {
            list(read, new PrintWriter(System.out, true));
            return 0;
        }
        if (iface != null) {
            return iface();
        }
        if (netns != null || host != null) {
            throw new UserError("--netns and --host go with --iface");
        }
        PacketCapture capture = new PacketCapture(AgentDirectory.select(node), params(), limits(), write);
        return report(stoppedOnExit(capture::stop,
                () -> capture.run(() -> System.err.println("capturing to " + write + " (Ctrl-C to stop)"))));
    }

    /** Runs a capture that Ctrl-C (the JVM's shutdown) stops through {@code stop}, so the file ends on a whole block. */
    private static PacketCapture.Result stoppedOnExit(java.util.function.Consumer<String> stop,
                                                      Callable<PacketCapture.Result> capture) throws Exception {
        Thread hook = Thread.ofPlatform().unstarted(() -> stop.accept("interrupted"));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return capture.call();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook has run
            }
        }
    }

    /** {@code --iface}: an AF_PACKET capture with the socket filter. */
    private int iface() throws Exception {
        IfaceCapture c = new IfaceCapture(netns, iface, socketFilter(), limits(), write);
        return report(stoppedOnExit(c::stop, () -> c.run(() -> System.err.println("capturing on "
                + (netns == null ? "" : netns + "/") + iface + " to " + write + " (Ctrl-C to stop)"))));
    }

    dev.weir.datapath.capture.SfCfg socketFilter() {
        if (node != null || !hooks.isEmpty() || snaplen != null || !filters.onlyPortsAndProtocols()
                || filters.ports().size() > 1 || filters.protocols().size() > 1) {
            throw new UserError("--iface takes --host, one --port, one --protocol and --netns (the agents' filters,"
                    + " --node, --hook and --snaplen are for the hooks' capture)");
        }
        java.net.InetAddress addr = null;
        if (host != null) {
            try {
                addr = java.net.InetAddress.ofLiteral(host);
            } catch (IllegalArgumentException e) {
                throw new UserError("--host " + host + ": not an IPv4 or IPv6 address");
            }
        }
        Integer proto = filters.protocols().isEmpty() ? null : switch (filters.protocols().getFirst().toLowerCase(Locale.ROOT)) {
            case "tcp" -> 6;
            case "udp" -> 17;
            case "sctp" -> 132;
            case "icmp" -> 1;
            case "icmpv6", "icmp6" -> 58;
            default -> throw new UserError("--protocol " + filters.protocols().getFirst() + ": tcp, udp, sctp, icmp or icmpv6");
        };
        Integer port = filters.ports().isEmpty() ? null : filters.ports().getFirst();
        if (port != null && (port < 1 || port > 65535)) {
            throw new UserError("--port " + port + " not in 1..65535");
        }
        return IfaceCapture.filter(addr, proto, port, payload);
    }

    private int report(PacketCapture.Result r) {
        System.err.println(r.packets() + " packets written to " + write + " (" + r.bytes() + " bytes"
                + (r.lost() > 0 ? ", " + r.lost() + " lost in the kernel: its ring was full" : "") + ")"
                + (r.stoppedBy() == null ? "" : "; stopped: " + r.stoppedBy()));
        for (var e : r.failures().entrySet()) {
            System.err.println("node " + e.getKey() + ": " + e.getValue().getMessage());
        }
        if (r.failures().size() == 1 && r.failures().values().iterator().next().isUserError()) {
            throw new UserError(r.failures().values().iterator().next().getMessage());
        }
        return r.failures().isEmpty() ? 0 : 1;
    }

    ObjectNode params() {
        try {
            filters.check();
            hooks.forEach(CaptureMaps.Hook::parse);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        for (String v : filters.verdicts()) {
            if (!v.equalsIgnoreCase("FORWARDED") && !v.equalsIgnoreCase("DROPPED")) {
                throw new UserError("--verdict " + v + ": a capture sees FORWARDED and DROPPED packets only");
            }
        }
        if (snaplen != null && (snaplen < 1 || snaplen > CaptureMaps.SNAP_MAX)) {
            throw new UserError("--snaplen " + snaplen + " not in 1.." + CaptureMaps.SNAP_MAX);
        }
        ObjectNode p = Json.mapper().createObjectNode();
        filters.putInto(p);
        ArrayNode h = p.putArray("hook");
        hooks.forEach(h::add);
        p.put("payload", payload);
        if (snaplen != null) {
            p.put("snaplen", snaplen);
        }
        return p;
    }

    PacketCapture.Limits limits() {
        if (count < 0) {
            throw new UserError("--count " + count + " is negative");
        }
        return new PacketCapture.Limits(duration == null ? null : duration(duration), count, size(maxBytes));
    }

    /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
    static Duration duration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (!t.matches("\\d+(ms|s|m|h)")) {
            throw new UserError("--duration " + text + ": expected a number with ms, s, m or h (30s, 5m)");
        }
        long n = Long.parseLong(t.replaceAll("\\D", ""));
        Duration d = t.endsWith("ms") ? Duration.ofMillis(n) : t.endsWith("s") ? Duration.ofSeconds(n)
                : t.endsWith("m") ? Duration.ofMinutes(n) : Duration.ofHours(n);
        if (d.isZero()) {
            throw new UserError("--duration " + text + ": must be more than 0");
        }
        return d;
    }

    /** {@code 4096}, {@code 64K}, {@code 10M}, {@code 1G}. */
    static long size(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        if (!t.matches("\\d+[KMG]?")) {
            throw new UserError("--max-bytes " + text + ": expected bytes, or a number with K, M or G (64M)");
        }
        char unit = t.charAt(t.length() - 1);
        long n = Long.parseLong(Character.isDigit(unit) ? t : t.substring(0, t.length() - 1));
        long bytes = switch (unit) {
            case 'K' -> n << 10;
            case 'M' -> n << 20;
            case 'G' -> n << 30;
            default -> n;
        };
        if (bytes < 1024) {
            throw new UserError("--max-bytes " + text + ": at least 1K (the file's own headers need room)");
        }
        return bytes;
    }

    /** One line per packet: time, interface, the comment's fields, addresses, length captured/on the wire. */
    static void list(Path file, PrintWriter out) {
        List<Pcapng.Packet> packets;
        try {
            packets = Pcapng.read(file);
        } catch (IOException e) {
            throw new UserError("--read " + file + ": " + e.getMessage());
        }
        DateTimeFormatter time = DateTimeFormatter.ofPattern("MMM dd HH:mm:ss.SSSSSS", Locale.ROOT).withZone(ZoneId.systemDefault());
        for (Pcapng.Packet p : packets) {
            PacketHeaders h = PacketHeaders.parse(p.data());
            out.println(time.format(p.time()) + " " + p.iface() + " " + p.comment() + " " + addresses(h)
                    + " caplen " + p.data().length + " len " + p.originalLength());
        }
        out.flush();
    }

    private static String addresses(PacketHeaders h) {
        if (h.family() == 0) {
            return "non-IP";
        }
        String proto = switch (h.protocol()) {
            case 6 -> "TCP";
            case 17 -> "UDP";
            case 132 -> "SCTP";
            case 1 -> "ICMPv4";
            case 58 -> "ICMPv6";
            default -> "proto " + h.protocol();
        };
        boolean ports = h.protocol() == 6 || h.protocol() == 17 || h.protocol() == 132;
        return proto + " " + endpoint(h.sourceIp(), h.sourcePort(), ports, h.family()) + " -> "
                + endpoint(h.destinationIp(), h.destinationPort(), ports, h.family());
    }

    private static String endpoint(String ip, int port, boolean ports, int family) {
        if (!ports) {
            return ip;
        }
        return (family == 6 ? "[" + ip + "]" : ip) + ":" + port;
    }
}
