package dev.weir.cli.ops;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.MapType;
import dev.weir.ebpf.Probe;
import dev.weir.ebpf.ProgramType;
import dev.weir.ebpf.netns.NetworkNamespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir probe}: what this kernel supports, and what each answer means for weir. */
@Command(name = "probe", mixinStandardHelpOptions = true,
        header = "Probe the kernel for the features weir uses, and what each means.", description = {
        "Probe the kernel for the program, map and attach types, helpers and modes weir uses.",
        "Each answer is supported, unsupported (feature, kernel) or inconclusive (cause)."})
public final class ProbeCommand implements Runnable {

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    @Option(names = "--iface", paramLabel = "IFACE", description = "Also probe native XDP on this interface.")
    String iface;

    @Option(names = "--netns", paramLabel = "NAME", description = "Namespace of --iface.")
    String netns;

    /** One probed feature. */
    public record Row(String feature, String status, String detail, String impact) {
    }

    @Override
    public void run() {
        List<Row> rows = rows();
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, rows);
            return;
        }
        Table t = new Table("FEATURE", "STATUS", "DETAIL", "WHAT IT MEANS FOR WEIR");
        rows.forEach(r -> t.row(r.feature(), r.status(), r.detail(), r.impact()));
        t.print(out);
    }

    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        rows.add(file("BTF", Path.of("/sys/kernel/btf/vmlinux"), "kernel BTF for CO-RE and typed map checks"));
        rows.add(bpffs());
        rows.add(jit());
        rows.add(prog(ProgramType.XDP, "XDP prefilter (early drops, DDoS)"));
        rows.add(prog(ProgramType.SCHED_CLS, "TC programs on endpoint veths (policy, service NAT)"));
        rows.add(prog(ProgramType.CGROUP_SOCK_ADDR, "socket-level service translation (connect/sendmsg/recvmsg/getpeername)"
                + " and the workload guard (connect/sendmsg/bind: EPERM for what a WeirWorkloadGuard refuses)"));
        rows.add(prog(ProgramType.SOCKET_FILTER, "weir capture --iface: packets cut in the kernel before they reach the capture socket"));
        rows.add(prog(ProgramType.SOCK_OPS, "puts established TCP sockets between two local pods into a sockhash (weir agent --sockmap)"));
        rows.add(prog(ProgramType.SK_MSG, "sends those sockets' messages straight into the peer socket while conntrack and policy allow (weir agent --sockmap)"));
        rows.add(map(MapType.LPM_TRIE, "prefix rules and the ipcache"));
        rows.add(map(MapType.LRU_HASH, "rate-limit buckets, conntrack"));
        rows.add(map(MapType.PERCPU_ARRAY, "per-CPU counters per reason and rule"));
        rows.add(map(MapType.RINGBUF, "drop and flow events"));
        rows.add(map(MapType.SOCKHASH, "the local pods' established sockets, keyed by address and port (weir agent --sockmap)"));
        rows.add(map(MapType.DEVMAP_HASH, "the prefilter's redirect of established pod traffic to the pod's veth (WeirPrefilter spec.redirect)"));
        rows.add(map(MapType.SK_STORAGE, "per-socket mark: its messages go down the stack for good (weir agent --sockmap)"));
        rows.add(helper(ProgramType.XDP, "bpf_xdp_load_bytes", "packet bytes in drop events"));
        rows.add(helper(ProgramType.XDP, "bpf_ringbuf_reserve", "events from XDP"));
        rows.add(helper(ProgramType.XDP, "bpf_redirect_map", "XDP_REDIRECT to a local pod's veth through the devmap"));
        rows.add(helper(ProgramType.XDP, "bpf_tcp_raw_gen_syncookie_ipv4", "SYN cookies from XDP (the prefilter's SYN proxy)"));
        rows.add(helper(ProgramType.SCHED_CLS, "bpf_skb_store_bytes", "NAT rewrites at TC"));
        rows.add(helper(ProgramType.SCHED_CLS, "bpf_fib_lookup", "NodePort forwarding decisions at TC (the next hop to a remote backend or back to the client)"));
        rows.add(row("tcx links", Features.tcx(), "the underlay's and the tunnel's TC programs attach as bpf_links (else clsact + cls_bpf); pods' programs are clsact filters either way (faster to attach)"));
        rows.add(row("cgroup getpeername hooks", Features.cgroupSockAddr(AttachType.CGROUP_INET6_GETPEERNAME),
                "socket-level service translation (weir agent --socket-lb)"));
        rows.add(row("cgroup bind hooks", Features.cgroupSockAddr(AttachType.CGROUP_INET6_BIND),
                "the workload guard (WeirWorkloadGuard: connect, sendmsg and bind of the pods it selects)"));
        rows.add(cgroup2());
        if (iface != null) {
            NetworkNamespace ns = netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns);
            Probe p = ns.callUnchecked(() -> Features.xdpNative(iface));
            rows.add(row("XDP native on " + iface, p, "native mode there; else weir's auto mode uses generic"));
        }
        return rows;
    }

    private static Row prog(ProgramType t, String impact) {
        return row("program " + t.name().toLowerCase(), Features.programType(t), impact);
    }

    private static Row map(MapType t, String impact) {
        return row("map " + t.name().toLowerCase(), Features.mapType(t), impact);
    }

    private static Row helper(ProgramType t, String name, String impact) {
        return row("helper " + name + " (" + t.name().toLowerCase() + ")", Features.helper(t, name), impact);
    }

    public static Row row(String feature, Probe p, String impact) {
        return switch (p) {
            case Probe.Supported s -> new Row(feature, "supported", "", impact);
            case Probe.Unsupported u -> new Row(feature, "unsupported", u.feature() + " not in kernel " + u.kernel(), impact);
            case Probe.Inconclusive i -> new Row(feature, "inconclusive", i.cause(), impact);
        };
    }

    private static Row file(String feature, Path p, String impact) {
        return new Row(feature, Files.exists(p) ? "supported" : "unsupported", p.toString(), impact);
    }

    private static Row bpffs() {
        boolean mounted = mounts().stream().anyMatch(l -> l.contains(" /sys/fs/bpf bpf "));
        return new Row("bpffs", mounted ? "supported" : "unsupported", "/sys/fs/bpf",
                mounted ? "pins survive agent restarts" : "run scripts/setup.sh (mount -t bpf bpf /sys/fs/bpf)");
    }

    private static Row jit() {
        try {
            String v = Files.readString(Path.of("/proc/sys/net/core/bpf_jit_enable")).strip();
            return new Row("BPF JIT", v.equals("0") ? "unsupported" : "supported", "bpf_jit_enable=" + v,
                    "programs run as native code");
        } catch (java.io.IOException e) {
            return new Row("BPF JIT", "inconclusive", e.getMessage(), "programs run as native code");
        }
    }

    private static Row cgroup2() {
        return mounts().stream().filter(l -> l.split(" ").length > 2 && l.split(" ")[2].equals("cgroup2")).findFirst()
                .map(l -> new Row("cgroup v2", "supported", l.split(" ")[1], "cgroup socket hooks and per-pod cgroups"))
                .orElse(new Row("cgroup v2", "unsupported", "no cgroup2 mount", "no cgroup socket hooks"));
    }

    private static List<String> mounts() {
        try {
            return Files.readAllLines(Path.of("/proc/mounts"));
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
