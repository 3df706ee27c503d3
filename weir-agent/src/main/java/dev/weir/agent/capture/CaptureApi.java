package dev.weir.agent.capture;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.api.ApiStream;
import dev.weir.agent.flow.FlowApi;
import dev.weir.agent.flow.FlowDecorator;
import dev.weir.agent.flow.FlowFilter;
import dev.weir.agent.flow.FlowRecord;
import dev.weir.agent.flow.HubbleJson;
import dev.weir.agent.flow.RawFlowEvent;
import dev.weir.agent.flow.Verdict;
import dev.weir.datapath.capture.CapCfg;
import dev.weir.datapath.capture.CapEvent;
import dev.weir.datapath.capture.CaptureMaps;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * {@code capture.packets} of the agent's API (docs/capture.md): switches capture on at the node's hooks,
 * streams each captured packet that matches the request's Hubble filters (those of {@code flows.query}) as
 * {@code {"packet": {...}}} with its hook, verdict, reason, flow and bytes (cut after the headers unless
 * {@code payload} is true), and switches capture off when the client goes. One capture at a time per node.
 * Thread-safe.
 */
public final class CaptureApi {

    /** Bytes the kernel copies per packet when only headers are wanted: Ethernet, IPv6 and a full TCP header. */
    static final int HEADER_SNAPLEN = 128;
    private static final Duration POLL = Duration.ofMillis(200);
    /** Idle streams beat this often, so that a capture whose client went ends (and switches off) soon after. */
    private static final long HEARTBEAT_NS = 200_000_000L;

    private final List<Path> pinDirs;
    private final FlowDecorator decorator;
    private final IntFunction<String> ifname;
    private final AtomicBoolean busy = new AtomicBoolean();

    /**
     * @param pinDirs   where the capture maps are pinned: the node's pin directory and its prefilter's
     * @param decorator names a packet's pods, identities and policy as flows are named
     * @param ifname    the name of an interface of the node by index (asked once per interface and capture);
     *                  may throw when there is none
     */
    public CaptureApi(List<Path> pinDirs, FlowDecorator decorator, IntFunction<String> ifname) {
        this.pinDirs = List.copyOf(pinDirs);
        this.decorator = decorator;
        this.ifname = ifname;
    }

    /** The names of the node's interfaces in {@code netns} (null: the agent's own namespace). */
    public static IntFunction<String> interfaceNames(String netns) {
        return i -> (netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns))
                .callUnchecked(() -> NetInterface.name(i));
    }

    public Map<String, ApiStream> streams() {
        return Map.of("capture.packets", this::capture);
    }

    /** The kernel's settings a request asks for. */
    static CapCfg cfg(JsonNode p) {
        int verdicts = 0;
        for (JsonNode v : p.path("verdict")) {
            verdicts |= switch (v.asText().toUpperCase(Locale.ROOT)) {
                case "FORWARDED" -> 1 << Verdict.FORWARDED.ordinal();
                case "DROPPED" -> 1 << Verdict.DROPPED.ordinal();
                default -> throw new ApiException(ApiException.INVALID, "capture: verdict '" + v.asText()
                        + "' is not captured (FORWARDED or DROPPED)");
            };
        }
        if (verdicts == 0) {
            verdicts = 1 << Verdict.FORWARDED.ordinal() | 1 << Verdict.DROPPED.ordinal();
        }
        int hooks = 0;
        for (JsonNode h : p.path("hook")) {
            try {
                hooks |= 1 << CaptureMaps.Hook.parse(h.asText()).code();
            } catch (IllegalArgumentException e) {
                throw new ApiException(ApiException.INVALID, "capture: " + e.getMessage());
            }
        }
        boolean payload = p.path("payload").asBoolean(false);
        int snaplen = p.path("snaplen").asInt(payload ? CaptureMaps.SNAP_MAX : HEADER_SNAPLEN);
        if (snaplen < 1 || snaplen > CaptureMaps.SNAP_MAX) {
            throw new ApiException(ApiException.INVALID, "capture: snaplen " + snaplen + " not in 1.." + CaptureMaps.SNAP_MAX);
        }
        return new CapCfg(verdicts, hooks, snaplen);
    }

    private void capture(JsonNode params, ApiStream.Emitter out) throws Exception {
        FlowFilter filter;
        try {
            filter = FlowApi.filter(params);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiException.INVALID, "capture: " + e.getMessage());
        }
        CapCfg cfg = cfg(params);
        boolean payload = params.path("payload").asBoolean(false);
        if (!claim()) {
            throw new ApiException(ApiException.UNAVAILABLE, "a capture is already running on this node");
        }
        try {
            stream(filter, cfg, payload, out);
        } finally {
            busy.set(false);
        }
    }

    /** Claims the node's capture, waiting a moment for one whose client has just gone (it ends at its next heartbeat). */
    private boolean claim() throws InterruptedException {
        for (long deadline = System.nanoTime() + 2 * HEARTBEAT_NS; !busy.compareAndSet(false, true); ) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    private void stream(FlowFilter filter, CapCfg cfg, boolean payload, ApiStream.Emitter out) throws Exception {
        long wallMinusMono = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        Queue<CapEvent> pending = new ArrayDeque<>();
        Map<Integer, String> names = new java.util.HashMap<>();
        CaptureRings rings;
        try {
            rings = new CaptureRings(pinDirs, cfg, pending::add);
        } catch (IllegalStateException e) {
            throw new ApiException(ApiException.UNAVAILABLE, "capture: " + e.getMessage(), e);
        }
        try (rings) {
            out.emit(ApiProtocol.mapper().createObjectNode().put("started", true));
            long lastBeat = System.nanoTime();
            long reportedLost = 0;
            while (!Thread.currentThread().isInterrupted()) {
                rings.poll(POLL);
                for (CapEvent e; (e = pending.poll()) != null; ) {
                    ObjectNode packet = packet(e, wallMinusMono, filter, payload);
                    if (packet != null) {
                        packet.put("iface", names.computeIfAbsent(e.ifindex(), this::name));
                        out.emit(ApiProtocol.mapper().createObjectNode().set("packet", packet));
                        lastBeat = System.nanoTime();
                    }
                }
                long lost = rings.lost();
                if (lost > reportedLost) {
                    out.emit(ApiProtocol.mapper().createObjectNode().put("lost_packets", lost - reportedLost));
                    reportedLost = lost;
                }
                if (System.nanoTime() - lastBeat >= HEARTBEAT_NS) {
                    out.heartbeat();
                    lastBeat = System.nanoTime();
                }
            }
        }
    }

    /** An interface's name, {@code if<index>} when it has none (gone already). */
    private String name(int ifindex) {
        try {
            return ifname.apply(ifindex);
        } catch (RuntimeException e) {
            return "if" + ifindex;
        }
    }

    /** The packet as the stream carries it (without {@code iface}), or null when the filter does not want it. */
    ObjectNode packet(CapEvent e, long wallMinusMono, FlowFilter filter, boolean payload) {
        byte[] data = e.data();
        PacketHeaders h = PacketHeaders.parse(data);
        Instant time = Instant.ofEpochSecond(0, e.tsNs() + wallMinusMono);
        FlowRecord f = decorator.decorate(new RawFlowEvent(time, e.epId(), e.ifindex(), e.srcIdentity(),
                e.dstIdentity(), 0, e.reason(), e.verdict(), e.dir(), false, h.family(), h.protocol(), h.tcpFlags(),
                0, h.sourcePort(), h.destinationPort(), h.sourceIp(), h.destinationIp(), e.pktLen()), 0);
        if (!filter.matches(f)) {
            return null;
        }
        byte[] kept = payload ? data : java.util.Arrays.copyOf(data, h.headerLength());
        ObjectNode o = ApiProtocol.mapper().createObjectNode();
        o.put("time", time.toString());
        o.put("hook", e.hook().label());
        o.put("ifindex", e.ifindex());
        o.put("verdict", f.verdict().name());
        o.put("reason", e.reason());
        o.put("reason_name", dev.weir.datapath.DropReason.find(e.reason()).map(Enum::name).orElse("REASON_" + e.reason()));
        o.put("length", e.pktLen());
        o.put("data", Base64.getEncoder().encodeToString(kept));
        o.set("flow", HubbleJson.render(f));
        return o;
    }
}
