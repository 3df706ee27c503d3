package dev.weir.cli.ops;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.ProgramInfo;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcFilter;
import dev.weir.ebpf.XdpStatus;
import dev.weir.ebpf.netns.NetworkNamespace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir net}: what BPF program is attached to which interface, across network namespaces. */
@Command(name = "net", mixinStandardHelpOptions = true,
        header = "Show XDP, tcx and weir's TC filter programs per interface, across network namespaces.", description = {
        "Show BPF programs attached to network interfaces (XDP, tcx, and the clsact filters in weir's slot, handle",
        "0x77656972 prio 1, hook tc/ingress|tc/egress: the pods' programs), in this namespace and every",
        "namespace under /run/netns (the lab's included), like `bpftool net`. Other tools' clsact filters: `tc filter show`."})
public final class NetCommand implements Runnable {

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    OutputFormat output;

    @Option(names = "--netns", paramLabel = "NAME", description = "Only this namespace (\"\" for the current one).")
    String only;

    /** One attachment. */
    public record Row(String netns, String iface, int ifindex, String hook, String mode, int progId, String progName,
                      String owner) {
    }

    @Override
    public void run() {
        Map<Integer, ProgramInfo> progs = new HashMap<>();
        BpfSystem.programs().forEach(p -> progs.put(p.id(), p));
        List<Row> rows = new ArrayList<>();
        for (String ns : namespaces()) {
            rows.addAll(scan(ns, progs));
        }
        PrintWriter out = new PrintWriter(System.out, true);
        if (output == OutputFormat.json) {
            Json.print(out, rows);
            return;
        }
        Table t = new Table("NETNS", "IFACE", "IFINDEX", "HOOK", "MODE", "PROG", "NAME", "OWNER");
        rows.forEach(r -> t.row(r.netns().isEmpty() ? "(current)" : r.netns(), r.iface(), r.ifindex(), r.hook(),
                r.mode(), r.progId(), r.progName(), r.owner()));
        t.print(out);
    }

    private List<String> namespaces() {
        if (only != null) {
            return List.of(only);
        }
        List<String> out = new ArrayList<>();
        out.add("");
        Path dir = Path.of("/run/netns");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.map(p -> p.getFileName().toString()).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * The XDP and tcx programs, and the clsact filters in weir's slot, on every interface of the namespace {@code ns} ("" for the current one), named from
     * {@code progs} (the kernel's programs by id).
     */
    public static List<Row> scan(String ns, Map<Integer, ProgramInfo> progs) {
        NetworkNamespace n = ns.isEmpty() ? NetworkNamespace.current() : NetworkNamespace.named(ns);
        return n.callUnchecked(() -> scanHere(ns, progs));
    }

    /** Runs inside the namespace: its interfaces from /proc, then XDP, tcx and weir's clsact slot queries. */
    private static List<Row> scanHere(String ns, Map<Integer, ProgramInfo> progs) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String iface : interfaces()) {
            XdpStatus x = BpfSystem.xdpQuery(iface);
            if (x.nativeProgramId() != 0) {
                rows.add(row(ns, iface, x.ifindex(), "xdp", "native", x.nativeProgramId(), progs));
            }
            if (x.genericProgramId() != 0) {
                rows.add(row(ns, iface, x.ifindex(), "xdp", "generic", x.genericProgramId(), progs));
            }
            for (TcDirection d : TcDirection.values()) {
                for (int id : BpfSystem.tcxQuery(iface, d)) {
                    rows.add(row(ns, iface, x.ifindex(), "tcx/" + d.name().toLowerCase(), "", id, progs));
                }
                TcFilter.query(iface, d, EndpointMaps.FILTER_SLOT).ifPresent(id ->
                        rows.add(row(ns, iface, x.ifindex(), "tc/" + d.name().toLowerCase(), "", id, progs)));
            }
        }
        return rows;
    }

    private static Row row(String ns, String iface, int ifindex, String hook, String mode, int id,
                           Map<Integer, ProgramInfo> progs) {
        ProgramInfo p = progs.get(id);
        String name = p == null ? "?" : p.name();
        return new Row(ns, iface, ifindex, hook, mode, id, name, name.startsWith("weir_") ? "weir" : "-");
    }

    /** Interface names of the calling thread's namespace (sysfs is per mount, so ask the kernel via /proc). */
    private static List<String> interfaces() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/net/dev"))) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.contains("|")) {
                out.add(line.substring(0, colon).strip());
            }
        }
        return out;
    }
}
