package dev.weir.bench.prefilter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.weir.agent.prefilter.Capacity;
import dev.weir.agent.prefilter.PrefilterSettings;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfException;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.lab.LabException;
import dev.weir.lab.host.Shell;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir-bench prefilter}: the prefilter's per-packet cost beside xdp-filter's, through
 * {@code BPF_PROG_TEST_RUN}, in one run. Phases: 1,000 and 10,000 exact source addresses (both
 * programs, same packets), 10,000 /24 networks (weir; xdp-filter keeps its 10,000 addresses for the
 * ratio), then the LPM sweep. Within a phase every case runs once per round, interleaved. Everything
 * it creates (pins under {@code /sys/fs/bpf/weir-bench-PID}, the namespace {@value XdpFilterFixture#NETNS},
 * xdp-filter's pins) is removed at the end, on failure and on Ctrl-C.
 */
@Command(name = "prefilter", mixinStandardHelpOptions = true,
        description = {"Per-packet cost of weir's XDP prefilter beside xdp-tools' xdp-filter (BPF_PROG_TEST_RUN).",
                "Prints ns/packet (median and range over rounds) and the ratio weir/xdp-filter. Needs root."})
public final class PrefilterBenchCommand implements Callable<Integer> {

    private static final int EXIT_CHECK = 1;
    private static final int EXIT_CANNOT_RUN = 3;
    private static final List<Integer> SWEEP = List.of(1, 10, 100, 1_000, 10_000, 100_000);
    private static final List<Integer> QUICK_SWEEP = List.of(1, 100, 10_000);

    @Option(names = "--repeat", paramLabel = "N", description = "packets per test run (default 1,000,000; --quick 200,000)")
    Integer repeat;

    @Option(names = "--rounds", paramLabel = "N", description = "interleaved rounds per phase (default 9; --quick 3)")
    Integer rounds;

    @Option(names = "--quick", description = "fewer rounds and packets, sweep 1, 100, 10k only: a smoke run")
    boolean quick;

    @Option(names = "--sweep", split = ",", paramLabel = "N,N,...", description = "LPM sweep sizes (default 1,10,100,1000,10000,100000)")
    List<Integer> sweep;

    @Option(names = "--xdp-filter-mode", defaultValue = "skb", paramLabel = "skb|native",
            description = "xdp-filter load --mode (does not change the program tested; default ${DEFAULT-VALUE})")
    String xdpFilterMode;

    @Option(names = "--no-xdp-filter", description = "measure weir only")
    boolean noXdpFilter;

    @Option(names = "--sample-every", paramLabel = "N",
            description = "weir's 1-in-N drop event sampling (default: weir's default, ${DEFAULT-VALUE}; 0 = no events)")
    long sampleEvery = PrefilterSettings.DEFAULT.sampleEvery();

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Override
    public Integer call() {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("weir-bench: loading BPF programs and creating namespaces needs root (sudo)");
            return EXIT_CANNOT_RUN;
        }
        if (!List.of("skb", "native").contains(xdpFilterMode)) {
            System.err.println("weir-bench: --xdp-filter-mode must be skb or native, not " + xdpFilterMode);
            return 2;
        }
        Settings s = new Settings(repeat != null ? repeat : quick ? 200_000 : 1_000_000,
                rounds != null ? rounds : quick ? 3 : 9, sweep != null ? List.copyOf(sweep) : quick ? QUICK_SWEEP : SWEEP);
        long start = System.nanoTime();
        try (Cleanup cleanup = new Cleanup()) {
            Report report = run(s, cleanup);
            report.note(String.format("run took %.0f s", (System.nanoTime() - start) / 1e9));
            report.print(System.out);
            if (json != null) {
                report.writeJson(json);
                System.err.println("weir-bench: wrote " + json);
            }
            return 0;
        } catch (CannotRunException e) {
            System.err.println("weir-bench: cannot run here: " + e.getMessage());
            return EXIT_CANNOT_RUN;
        } catch (Runner.VerdictException e) {
            System.err.println("weir-bench: wrong verdict, nothing measured is trustworthy: " + e.getMessage());
            return EXIT_CHECK;
        } catch (BpfException | LabException | IllegalStateException | IllegalArgumentException | IOException e) {
            System.err.println("weir-bench: " + e.getMessage());
            return EXIT_CHECK;
        }
    }

    private record Settings(int repeat, int rounds, List<Integer> sweep) {
        Settings {
            if (repeat < 1 || rounds < 1 || sweep.stream().anyMatch(n -> n < 1)) {
                throw new IllegalArgumentException("--repeat, --rounds and --sweep sizes must be positive");
            }
        }
    }

    private Report run(Settings s, Cleanup cleanup) throws IOException {
        Path dir = Path.of("/sys/fs/bpf/weir-bench-" + ProcessHandle.current().pid());
        if (Files.exists(dir)) {
            throw new CannotRunException(dir + " exists already");
        }
        Files.createDirectories(dir);
        cleanup.push("remove " + dir, () -> XdpFilterFixture.removeTree(dir));
        int largest = Math.max(10_000, s.sweep().stream().mapToInt(Integer::intValue).max().orElse(0));
        Capacity capacity = new Capacity(largest, 2 * largest + 2);
        Runner runner = new Runner(s.repeat(), s.rounds());
        progress("loading weir's prefilter (tries sized for " + String.format("%,d", largest) + " prefixes)"
                + (noXdpFilter ? "" : " and xdp-filter in namespace " + XdpFilterFixture.NETNS));
        try (BpfObject floorObj = BpfObject.load(ObjectSpec.read("xdp_drop_floor", Datapath.object("xdp_drop_floor")));
             WeirFixture weir = WeirFixture.load(dir.resolve("prefilter"), capacity, cleanup);
             XdpFilterFixture xdpf = noXdpFilter ? null : XdpFilterFixture.start(dir, xdpFilterMode, cleanup)) {
            Phases phases = new Phases(runner, floorObj.program("xdp_drop_floor"), weir, settings(), xdpf);
            Report report = new Report(header(s, xdpf));
            phases.compare(report);
            phases.sweep(report, s.sweep());
            return report;
        }
    }

    private PrefilterSettings settings() {
        PrefilterSettings d = PrefilterSettings.DEFAULT;
        return new PrefilterSettings(d.mode(), d.ratePps(), d.rateBurst(), sampleEvery);
    }

    private Map<String, Object> header(Settings s, XdpFilterFixture xdpf) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("benchmark", "weir prefilter vs xdp-filter, BPF_PROG_TEST_RUN, ns per packet");
        h.put("date", Instant.now().toString());
        h.put("kernel", Features.kernel());
        h.put("cpu", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        h.put("repeat", String.format("%,d packets per test run", s.repeat()));
        h.put("rounds", s.rounds() + " per phase, cases interleaved (order alternating each round)");
        h.put("cells", "median (min–max) over rounds of the kernel's ns/packet; ratio = median of per-round weir/xdp-filter");
        h.put("weir", PrefilterMaps.OBJECT + ".o sha256:" + sha256(Datapath.object(PrefilterMaps.OBJECT))
                + ", program " + PrefilterMaps.PROGRAM + " run directly");
        h.put("weir settings", "denylist, no rate limit, drop events 1 in " + sampleEvery
                + (sampleEvery == 0 ? " (none)" : "; nobody drains the ring buffer, so once it is full a sampled drop"
                + " costs a failed reservation (counted as EVENTS_LOST), not a written event"));
        h.put("floor", "xdp_drop_floor.o: returns XDP_DROP, nothing else");
        if (xdpf != null) {
            List<String> v = new ArrayList<>();
            for (var x : xdpf.variants()) {
                v.add(x.label() + " -> " + x.programName());
            }
            boolean dispatcher = xdpf.variants().stream().anyMatch(x -> x.programName().equals("xdp_dispatcher"));
            h.put("xdp-filter", "xdp-tools " + debVersion("xdp-tools") + ", load --mode " + xdpFilterMode + "; "
                    + String.join(", ", v) + "; tested: the program attached to the interface"
                    + (dispatcher ? " (libxdp dispatcher)" : " (libxdp attached it without its dispatcher on this kernel)"));
        }
        return h;
    }

    public static void progress(String what) {
        System.err.println("weir-bench: " + what);
    }

    public static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String debVersion(String pkg) {
        Shell.Result r = Shell.exec(List.of("dpkg-query", "-W", "-f=${Version}", pkg), null);
        return r.ok() ? r.stdout().strip() : "(version unknown)";
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
