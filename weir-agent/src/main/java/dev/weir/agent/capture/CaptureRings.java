package dev.weir.agent.capture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import dev.weir.datapath.capture.CapCfg;
import dev.weir.datapath.capture.CapEvent;
import dev.weir.datapath.capture.CaptureMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.RingBufferReader;

/**
 * The kernel side of one capture: the pinned {@code cap_cfg} / {@code cap_events} of each pin directory that
 * has them (the node's, shared by {@code tc_endpoint} and {@code nodeport}, and the prefilter's), switched on
 * with one {@link CapCfg} and drained together. A directory whose maps appear later (the prefilter attached
 * during the capture) joins at the next {@link #poll}. {@link #close} switches every one off again and
 * releases the readers. Used from one thread.
 */
final class CaptureRings implements AutoCloseable {

    private final List<Path> dirs;
    private final CapCfg cfg;
    private final Consumer<CapEvent> onPacket;
    private final List<Ring> open = new ArrayList<>();

    private record Ring(Path dir, BpfMap<Integer, CapCfg> cfg, BpfPerCpuMap<Integer, Long> stats, BpfMap<?, ?> events,
                        RingBufferReader reader, long lostAtStart) {
    }

    /**
     * Switches capture on in every directory that has the maps now.
     *
     * @throws IllegalStateException when none has them (no weir datapath loaded here)
     */
    CaptureRings(List<Path> dirs, CapCfg cfg, Consumer<CapEvent> onPacket) {
        this.dirs = List.copyOf(dirs);
        this.cfg = cfg;
        this.onPacket = onPacket;
        try {
            join();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        if (open.isEmpty()) {
            throw new IllegalStateException("no capture map pinned in " + dirs + " (is the weir datapath loaded?)");
        }
    }

    /** Opens and switches on the directories not open yet whose maps exist. */
    private void join() {
        for (Path d : dirs) {
            if (open.stream().noneMatch(r -> r.dir().equals(d)) && Files.exists(d.resolve(CaptureMaps.EVENTS))) {
                BpfMap<Integer, CapCfg> c = BpfMap.fromPin(d.resolve(CaptureMaps.CFG), Codec.u32(), CapCfg.CODEC);
                BpfPerCpuMap<Integer, Long> s = BpfPerCpuMap.fromPinPerCpu(d.resolve(CaptureMaps.STATS), Codec.u32(), Codec.u64());
                BpfMap<?, ?> ev = BpfMap.fromPin(d.resolve(CaptureMaps.EVENTS), Codec.bytes(0), Codec.bytes(0));
                boolean[] live = {false};
                RingBufferReader reader = RingBufferReader.open(ev, seg -> {
                    if (live[0]) {
                        onPacket.accept(CapEvent.decode(seg));
                    }
                });
                reader.drain(); // what an earlier capture left behind is not this one's: dropped
                live[0] = true;
                open.add(new Ring(d, c, s, ev, reader, lost(s)));
                c.put(0, cfg);
            }
        }
    }

    /** Delivers the packets of every ring (waiting up to {@code timeout} on each); then looks for new rings. */
    void poll(Duration timeout) {
        Duration each = timeout.dividedBy(Math.max(1, open.size()));
        for (Ring r : open) {
            r.reader().poll(each);
        }
        join();
    }

    /** Records the kernel could not write since this capture started (its ring was full). */
    long lost() {
        return open.stream().mapToLong(r -> lost(r.stats()) - r.lostAtStart()).sum();
    }

    private static long lost(BpfPerCpuMap<Integer, Long> stats) {
        Long n = stats.lookupSum(CaptureMaps.STAT_LOST, Long::sum);
        return n == null ? 0 : n;
    }

    @Override
    public void close() {
        for (Ring r : open) {
            try {
                r.cfg().put(0, CapCfg.OFF);
            } finally {
                r.reader().close();
                r.events().close();
                r.stats().close();
                r.cfg().close();
            }
        }
        open.clear();
    }
}
