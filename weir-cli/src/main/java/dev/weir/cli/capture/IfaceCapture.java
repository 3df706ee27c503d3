package dev.weir.cli.capture;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.Mem;
import dev.weir.datapath.capture.SfCfg;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.PacketSocket;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * {@code weir capture --iface}: what tcpdump does on an interface, with weir's socket filter program
 * ({@code sock_filter.o}) choosing and cutting the packets in the kernel: an AF_PACKET socket in the interface's
 * namespace, {@code sf_cfg} written from the filter, pcapng out. Needs no agent. Loads its own copy of the
 * program (nothing pinned, nothing left when it ends). {@link #run} once; {@link #stop} from any thread.
 */
final class IfaceCapture {

    private static final Duration POLL = Duration.ofMillis(200);

    private final String netns;
    private final String iface;
    private final SfCfg filter;
    private final PacketCapture.Limits limits;
    private final Path file;
    private volatile String stoppedBy;

    IfaceCapture(String netns, String iface, SfCfg filter, PacketCapture.Limits limits, Path file) {
        this.netns = netns;
        this.iface = iface;
        this.filter = filter;
        this.limits = limits;
        this.file = file;
    }

    /** The socket filter's settings: an address, a protocol number, a port (null: any). */
    static SfCfg filter(InetAddress host, Integer proto, Integer port, boolean payload) {
        byte[] addr = host == null ? new byte[16] : Mem.mapped(host);
        return new SfCfg(addr, port == null ? 0 : port, proto == null ? 0 : proto, host != null, payload);
    }

    void stop(String why) {
        if (stoppedBy == null) {
            stoppedBy = why;
        }
    }

    /** Captures until a limit or {@link #stop}; {@code onStarted} runs once the socket is bound. */
    PacketCapture.Result run(Runnable onStarted) {
        ObjectSpec spec = ObjectSpec.read(SfCfg.OBJECT, Datapath.object(SfCfg.OBJECT));
        NetworkNamespace ns = netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns);
        String name = (netns == null ? "" : netns + "/") + iface;
        String comment = (netns == null ? "" : "netns=" + netns + " ") + "iface=" + iface + " hook=socket/" + SfCfg.PROGRAM;
        long packets = 0;
        try (BpfObject obj = BpfObject.load(spec);
             Pcapng out = new Pcapng(new BufferedOutputStream(Files.newOutputStream(file)), "weir capture --iface")) {
            obj.map(SfCfg.MAP, Codec.u32(), SfCfg.CODEC).put(0, filter);
            try (PacketSocket socket = ns.callUnchecked(() -> PacketSocket.open(iface, obj.program(SfCfg.PROGRAM), POLL))) {
                onStarted.run();
                Instant end = limits.duration() == null ? null : Instant.now().plus(limits.duration());
                while (stoppedBy == null) {
                    if (end != null && Instant.now().isAfter(end)) {
                        stop("--duration " + limits.duration().toSeconds() + "s passed");
                        break;
                    }
                    Optional<PacketSocket.Frame> f = socket.receive();
                    if (f.isEmpty()) {
                        continue;
                    }
                    String c = comment + " dir=" + (f.get().outgoing() ? "out" : "in");
                    if (limits.maxBytes() > 0 && out.size() + out.sizeOf(name, f.get().data().length, c) > limits.maxBytes()) {
                        stop("--max-bytes " + limits.maxBytes() + " reached");
                        break;
                    }
                    out.packet(name, f.get().time(), f.get().originalLength(), f.get().data(), c);
                    packets++;
                    if (limits.count() > 0 && packets >= limits.count()) {
                        stop("--count " + limits.count() + " reached");
                    }
                }
            }
            return new PacketCapture.Result(packets, out.size(), 0, stoppedBy, java.util.Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
