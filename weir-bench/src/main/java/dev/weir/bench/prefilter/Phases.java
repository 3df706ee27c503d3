package dev.weir.bench.prefilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.prefilter.PrefilterSettings;
import dev.weir.ebpf.BpfProgram;

/**
 * The benchmark's phases over the fixtures: the comparison with xdp-filter (exact addresses, then
 * weir's /24 networks against xdp-filter's exact addresses) and the LPM sweep. Each phase installs its
 * deny list, then measures its cases interleaved; the floor runs in every phase as a noise marker.
 * Uses the fixtures; owns nothing.
 */
final class Phases {

    private final Runner runner;
    private final BpfProgram floor;
    private final WeirFixture weir;
    private final XdpFilterFixture xdpf;
    private final PrefilterSettings settings;
    private final List<Runner.Sample> floorSamples = new ArrayList<>();

    /**
     * @param settings weir's prefilter settings for every phase
     * @param xdpf     null to measure weir only
     */
    Phases(Runner runner, BpfProgram floor, WeirFixture weir, PrefilterSettings settings, XdpFilterFixture xdpf) {
        this.runner = runner;
        this.settings = settings;
        this.floor = floor;
        this.weir = weir;
        this.xdpf = xdpf;
    }

    void compare(Report report) {
        DenySet d1k = DenySet.hosts4(1_000);
        DenySet d10k = DenySet.hosts4(10_000);
        DenySet c10k = DenySet.networks4(10_000, 24);
        List<Report.Row> rows = new ArrayList<>();
        rows.addAll(phase(report, "d1k", "1,000 deny /32", d1k, d1k, true));
        rows.addAll(phase(report, "d10k", "10,000 deny /32", d10k, d10k, true));
        rows.addAll(phase(report, "c10k", "10,000 deny /24 CIDRs", c10k, d10k, false));
        report.add(new Report.Row("floor", "floor (XDP_DROP only)", Stat.of(floorSamples), null, null, null, null));
        rows.forEach(report::add);
        if (xdpf != null) {
            report.note("the /24 rows' xdp-filter columns are xdp-filter with the 10,000 exact /32 addresses"
                    + " (it has no prefixes), measured in the same rounds: the ratio is the cost of CIDR matching"
                    + " against exact-address matching");
        }
    }

    /**
     * Installs {@code weirSet} in weir (and {@code xdpfSet} in xdp-filter when {@code fillXdpf}), then
     * measures floor, weir and each xdp-filter variant on matched and unmatched packets.
     */
    private List<Report.Row> phase(Report report, String key, String label, DenySet weirSet, DenySet xdpfSet,
                                   boolean fillXdpf) {
        PrefilterBenchCommand.progress(label + ": installing");
        report.install(key, weir.denySources(weirSet.prefixes(), settings));
        if (xdpf != null && fillXdpf) {
            xdpf.fill(xdpfSet.prefixes().stream().map(Cidr::address).toList());
        }
        List<Case> cases = new ArrayList<>();
        cases.add(new Case(key + ".floor", floor, Packets.tcpSyn4(weirSet.unmatched()), Case.XDP_DROP));
        for (boolean matched : new boolean[] {true, false}) {
            String m = matched ? "matched" : "unmatched";
            int verdict = matched ? Case.XDP_DROP : Case.XDP_PASS;
            cases.add(new Case(key + ".weir." + m, weir.program(), packet(weirSet, matched), verdict));
            if (xdpf != null) {
                for (var v : xdpf.variants()) {
                    cases.add(new Case(key + ".xdpf-" + v.features() + "." + m, v.program(), packet(xdpfSet, matched), verdict));
                }
            }
        }
        PrefilterBenchCommand.progress(label + ": measuring " + cases.size() + " cases x " + runner.rounds() + " rounds");
        Map<String, List<Runner.Sample>> r = runner.measure(cases);
        floorSamples.addAll(r.get(key + ".floor"));
        List<Report.Row> rows = new ArrayList<>();
        for (String m : List.of("matched", "unmatched")) {
            List<Runner.Sample> w = r.get(key + ".weir." + m);
            List<Runner.Sample> ip = xdpf == null ? null : r.get(key + ".xdpf-ipv4." + m);
            List<Runner.Sample> all = xdpf == null ? null : r.get(key + ".xdpf-all." + m);
            rows.add(new Report.Row(key + "." + m, label + ", " + m, Stat.of(w),
                    ip == null ? null : Stat.of(ip), ip == null ? null : Stat.ratio(w, ip),
                    all == null ? null : Stat.of(all), all == null ? null : Stat.ratio(w, all)));
        }
        return rows;
    }

    /** For each size n: n IPv4 and n IPv6 deny-source prefixes of mixed lengths in weir, four cases. */
    void sweep(Report report, List<Integer> sizes) {
        for (int n : sizes) {
            String label = String.format("LPM sweep, %,d + %,d prefixes", n, n);
            PrefilterBenchCommand.progress(label + ": installing");
            DenySet v4 = DenySet.mixed4(n);
            DenySet v6 = DenySet.mixed6(n);
            List<Cidr> both = new ArrayList<>(v4.prefixes());
            both.addAll(v6.prefixes());
            WeirFixture.InstallTiming t = weir.denySources(both, settings);
            String key = "lpm" + n;
            List<Case> cases = List.of(
                    new Case(key + ".floor", floor, Packets.tcpSyn4(v4.unmatched()), Case.XDP_DROP),
                    new Case(key + ".v4.matched", weir.program(), Packets.tcpSyn4(v4.matched()), Case.XDP_DROP),
                    new Case(key + ".v4.unmatched", weir.program(), Packets.tcpSyn4(v4.unmatched()), Case.XDP_PASS),
                    new Case(key + ".v6.matched", weir.program(), Packets.tcpSyn6(v6.matched()), Case.XDP_DROP),
                    new Case(key + ".v6.unmatched", weir.program(), Packets.tcpSyn6(v6.unmatched()), Case.XDP_PASS));
            PrefilterBenchCommand.progress(label + ": measuring " + cases.size() + " cases x " + runner.rounds() + " rounds");
            Map<String, List<Runner.Sample>> r = runner.measure(cases);
            report.add(new Report.SweepRow(n, Stat.of(r.get(key + ".v4.matched")), Stat.of(r.get(key + ".v4.unmatched")),
                    Stat.of(r.get(key + ".v6.matched")), Stat.of(r.get(key + ".v6.unmatched")), t));
        }
    }

    private static byte[] packet(DenySet set, boolean matched) {
        return Packets.tcpSyn4(matched ? set.matched() : set.unmatched());
    }
}
