package dev.weir.bench.flows;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.weir.bench.prefilter.PrefilterBenchCommand;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.BpfException;
import dev.weir.ebpf.Features;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench flows}: events per second the agent's flow pipeline (ring buffer read, decode,
 * decorate, store in the history) takes from the kernel without loss. The kernel side is real: each
 * {@code BPF_PROG_TEST_RUN} of {@code weir_to_ep} drops a packet and writes one event into
 * {@code flow_events}; one thread offers them at a paced rate while the reader drains. Per rate step:
 * offered, delivered and lost (the datapath's {@code EVENTS_LOST}), and the reader thread's CPU time
 * per event. Nothing is pinned or attached.
 */
@Command(name = "flows", mixinStandardHelpOptions = true,
        description = {"Flow pipeline: events/s the agent decodes and stores with zero loss, fed by the kernel",
                "(BPF_PROG_TEST_RUN drops, one event each), and the loss counters past that. Needs root."})
public final class FlowBenchCommand implements Callable<Integer> {

    private static final List<Long> RATES = List.of(50_000L, 100_000L, 200_000L, 300_000L, 400_000L, 600_000L,
            800_000L, 1_000_000L, 0L);

    @Option(names = "--rates", split = ",", paramLabel = "N,N,...",
            description = "offered events/s per step, 0 = as fast as one thread can (default 50k..1M, then 0)")
    List<Long> rates;

    @Option(names = "--seconds", paramLabel = "S", description = "seconds per step (default 3; --quick 1)")
    Double seconds;

    @Option(names = "--ring-bytes", paramLabel = "N",
            description = "flow_events size (default the agent's, ${DEFAULT-VALUE})")
    int ringBytes = EndpointMaps.FLOW_EVENTS_BYTES;

    @Option(names = "--history", paramLabel = "N", description = "flow history capacity (default the agent's, ${DEFAULT-VALUE})")
    int history = 8192;

    @Option(names = "--quick", description = "1 s per step: a smoke run")
    boolean quick;

    @Override
    public Integer call() {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("weir-bench: loading BPF programs needs root (sudo)");
            return 3;
        }
        double secs = seconds != null ? seconds : quick ? 1 : 3;
        List<Long> steps = rates != null ? rates : RATES;
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("benchmark", "weir flow pipeline: kernel ring buffer -> FlowEvent.decode -> RawFlowEvent -> FlowHistory");
        h.put("date", Instant.now().toString());
        h.put("kernel", Features.kernel());
        h.put("cpu", PrefilterBenchCommand.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        h.put("java", Runtime.version().toString());
        h.put("ring", String.format("flow_events %,d bytes (%,d events of 96 bytes with header)", ringBytes, ringBytes / 96));
        h.put("history", String.format("%,d flows, decorated against 1,000 endpoints / 1,000 policies", history));
        h.put("steps", String.format("%.1f s each; producer: one thread, paced BPF_PROG_TEST_RUN batches", secs));
        try (FlowPipeline p = new FlowPipeline(ringBytes, history)) {
            p.check();
            p.offer(100_000, Math.min(1, secs)); // warm-up of the reader's JIT
            List<FlowPipeline.Step> out = new ArrayList<>();
            for (long rate : steps) {
                PrefilterBenchCommand.progress(rate == 0 ? "offering as fast as possible" : String.format("offering %,d events/s", rate));
                out.add(p.offer(rate, secs));
            }
            h.forEach((k, v) -> System.out.println("# " + k + ": " + v));
            System.out.println();
            System.out.printf("%-14s %-14s %-14s %-12s %-10s %s%n", "target ev/s", "offered ev/s", "stored ev/s",
                    "lost", "loss", "reader CPU ns/event");
            long best = 0;
            boolean clean = true;
            for (FlowPipeline.Step s : out) {
                System.out.printf("%-14s %-14s %-14s %-12s %-10s %.0f%n",
                        s.targetRate() == 0 ? "max" : String.format("%,d", s.targetRate()),
                        String.format("%,.0f", s.offeredRate()), String.format("%,.0f", s.deliveredRate()),
                        String.format("%,d", s.lost()), String.format("%.2f %%", 100.0 * s.lost() / s.offered()),
                        s.readerNsPerEvent());
                if (s.lost() != 0) {
                    clean = false;
                } else if (clean) {
                    best = Math.max(best, (long) s.deliveredRate());
                }
            }
            var c = p.counters();
            System.out.println();
            System.out.printf("highest stored rate with zero loss at it and every lower step: %,d events/s (target 200,000)%n", best);
            System.out.printf("FlowHistory counters: seen %,d, kernelLost %,d, evicted %,d, stored %,d/%,d%n",
                    c.seen(), c.kernelLost(), c.evicted(), c.stored(), c.capacity());
            return 0;
        } catch (BpfException | IllegalStateException | IllegalArgumentException e) {
            System.err.println("weir-bench: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
