package dev.weir.cli.prefilter;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.weir.agent.prefilter.KernelPrefilterDataplane;
import dev.weir.cli.output.Json;
import dev.weir.datapath.DropReason;
import dev.weir.datapath.prefilter.PfEvent;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.PinnedObject;
import dev.weir.ebpf.RingBufferReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weir prefilter events}: the sampled drop events from the prefilter's ring buffer — drops that
 * happen before the kernel allocates an skb, so tcpdump never sees them.
 */
@Command(name = "events", mixinStandardHelpOptions = true, description = {
        "Print sampled drop events (1 in --sample-every drops) from the prefilter's ring buffer; a drop in",
        "dry run (the packet passed) shows as WOULD-DROP, a carried-out one as DROP.",
        "Reading consumes them. Without --follow, prints what is buffered and exits.",
        "On a node's namespace whose agent runs: the node's prefilter's ring buffer (pinned by the agent)."})
final class EventsCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new events until interrupted (or --count).")
    boolean follow;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N", description = "Stop after N events (0: no limit).")
    int count;

    @Option(names = {"-o", "--output"}, defaultValue = "compact", paramLabel = "compact|json", description = "compact or json.")
    String output;

    /** One event as printed in JSON. */
    record EventJson(String time, String iface, int ifindex, String verdict, String reason, String description,
                     Integer rule, String protocol, String source, String destination, int sourcePort,
                     int destinationPort, int length) {
    }

    private final Map<Integer, String> ifnames = new HashMap<>();
    private final long wallMinusMono = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

    @Override
    public void run() {
        Path pins = scope.agent().map(a -> Path.of(a.status().path("pinDir").asText()))
                .orElseGet(() -> new KernelPrefilterDataplane(scope.scope(), scope.namespace()).pinDirectory());
        Path pin = pins.resolve(PrefilterMaps.EVENTS);
        if (!Files.exists(pin)) {
            throw new IllegalArgumentException("the prefilter is not attached in " + scope.scope() + " (no " + pin + ")");
        }
        int id = PinnedObject.inspect(pin).orElseThrow(() -> new IllegalStateException("cannot open " + pin)).id();
        PrintWriter out = new PrintWriter(System.out, true);
        AtomicInteger seen = new AtomicInteger();
        try (BpfMap<?, ?> ring = BpfMap.fromId(id);
             RingBufferReader reader = RingBufferReader.open(ring, seg -> {
                 if (count == 0 || seen.get() < count) {
                     print(out, PfEvent.decode(seg));
                     seen.incrementAndGet();
                 }
             })) {
            reader.drain();
            while (follow && (count == 0 || seen.get() < count)) {
                reader.poll(Duration.ofMillis(250));
            }
        }
    }

    private void print(PrintWriter out, PfEvent e) {
        EventJson j = toJson(e);
        if (output.equals("json")) {
            out.println(Json.mapper().valueToTree(j).toString());
            return;
        }
        out.println(j.time() + " " + j.iface() + " " + j.verdict() + " " + j.reason() + (j.rule() == null ? "" : " rule " + j.rule())
                + " " + j.protocol() + " " + endpoint(j.source(), j.sourcePort()) + " -> "
                + endpoint(j.destination(), j.destinationPort()) + " len " + j.length());
    }

    private static String endpoint(String addr, int port) {
        if (addr == null) {
            return "?";
        }
        String a = addr.contains(":") ? "[" + addr + "]" : addr;
        return port == 0 ? addr : a + ":" + port;
    }

    private EventJson toJson(PfEvent e) {
        String time = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS").withZone(ZoneId.systemDefault())
                .format(Instant.ofEpochSecond(0, e.tsNs() + wallMinusMono));
        DropReason r = DropReason.find(e.reason()).orElse(null);
        Integer rule = e.rule() == -1 ? null : e.rule();
        return new EventJson(time, ifname(e.ifindex()), e.ifindex(), e.dryRun() ? DropReason.WOULD_DROP : "DROP",
                r == null ? "REASON_" + e.reason() : r.name(),
                r == null ? "" : r.description(), rule, protocol(e.proto()),
                e.source().map(InetAddress::getHostAddress).orElse(null),
                e.destination().map(InetAddress::getHostAddress).orElse(null), e.sport(), e.dport(), e.pktLen());
    }

    private static String protocol(int p) {
        return switch (p) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            case 58 -> "icmpv6";
            case 132 -> "sctp";
            case 0 -> "-";
            default -> "proto-" + p;
        };
    }

    private String ifname(int index) {
        return ifnames.computeIfAbsent(index, i -> {
            try {
                return scope.namespace().call(() -> NetInterface.name(i));
            } catch (Exception ex) {
                return "if" + i;
            }
        });
    }
}
