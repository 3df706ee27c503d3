package dev.weir.cli.agent;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.datapath.lb.LbBackend;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;
import dev.weir.datapath.nodeport.LbSrcRangeKey;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.Codec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir bpf lb list}: every service frontend in the nodes' pinned {@code lb_svc} maps with the
 * backends of its current generation and, for LoadBalancer frontends with source ranges, the ranges in
 * {@code lb_src_range}, like {@code cilium-dbg bpf lb list}. Reads the maps directly.
 */
@Command(name = "lb", mixinStandardHelpOptions = true,
        description = "The service load-balancing maps.", subcommands = LbListCommand.List_.class)
public final class LbListCommand {

    /** One frontend: {@code 10.96.0.10:80/TCP} or {@code [fd00:10:96::a]:80/TCP}. */
    public record Row(String node, String frontend, String scope, int svcId, int revNatId, String flags,
                      List<String> backends, List<String> sourceRanges) {
    }

    /** Every node's frontends (only {@code node}'s when not null), read from the pinned maps. */
    public static List<Row> rows(String node) {
        List<Row> rows = new ArrayList<>();
        for (Path dir : List_.nodeDirs(node)) {
            rows.addAll(List_.read(dir));
        }
        return rows;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List each node's service frontends (lb_svc) with their active backends and flags.")
    static final class List_ implements Runnable {
        @Option(names = "--node", paramLabel = "NAME", description = "Only this node.")
        String node;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        @Override
        public void run() {
            List<Row> rows = rows(node);
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            Table t = new Table("NODE", "SERVICE ADDRESS", "SCOPE", "ID", "REVNAT", "FLAGS", "BACKENDS", "SOURCES");
            rows.forEach(r -> t.row(r.node(), r.frontend(), r.scope(), r.svcId(), r.revNatId(), r.flags(),
                    r.backends().isEmpty() ? "(none: refused)" : String.join(", ", r.backends()),
                    r.sourceRanges().isEmpty() ? "-" : String.join(", ", r.sourceRanges())));
            t.print(out);
        }

        private static List<Path> nodeDirs(String node) {
            Path root = CtFlushCommand.ROOT;
            if (!Files.isDirectory(root)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(root)) {
                return s.filter(d -> Files.exists(d.resolve(LbMaps.SVC)))
                        .filter(d -> node == null || d.getFileName().toString().equals(node)).sorted().toList();
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
            }
        }

        private static List<Row> read(Path dir) {
            List<Row> rows = new ArrayList<>();
            try (var svc = BpfMap.fromPin(dir.resolve(LbMaps.SVC), LbSvcKey.CODEC, LbSvcVal.CODEC);
                 var slots = BpfMap.fromPin(dir.resolve(LbMaps.SLOT), LbSlotKey.CODEC, Codec.u32());
                 var backends = BpfMap.fromPin(dir.resolve(LbMaps.BACKEND), Codec.u32(), LbBackend.CODEC)) {
                Map<Integer, LbBackend> bes = backends.entries();
                Map<Integer, List<String>> ranges = sourceRanges(dir);
                for (var e : svc.entries().entrySet()) {
                    LbSvcKey k = e.getKey();
                    LbSvcVal v = e.getValue();
                    List<String> list = new ArrayList<>();
                    for (int i = 1; i <= v.count(); i++) {
                        Integer id = slots.lookup(new LbSlotKey(v.svcId(), i, v.gen())).orElse(null);
                        LbBackend b = id == null ? null : bes.get(id);
                        list.add(b == null ? "?" : endpoint(b.addr(), b.port()) + " (" + id + ")");
                    }
                    rows.add(new Row(dir.getFileName().toString(), endpoint(k.addr(), k.port()) + "/" + proto(k.proto()),
                            k.scope() == 1 ? "local" : "any", v.svcId(), v.revNatId(), flags(v.flags()), list,
                            k.scope() == 0 && (v.flags() & LbMaps.F_SRC_RANGES) != 0
                                    ? ranges.getOrDefault(v.revNatId(), List.of()) : List.of()));
                }
            }
            rows.sort((a, b) -> a.frontend().compareTo(b.frontend()));
            return rows;
        }

        /** loadBalancerSourceRanges by rev-NAT id, from the node's lb_src_range (none when not pinned). */
        private static Map<Integer, List<String>> sourceRanges(Path dir) {
            Path pin = dir.resolve(NodePortMaps.SRC_RANGE);
            Map<Integer, List<String>> out = new TreeMap<>();
            if (!Files.exists(pin)) {
                return out;
            }
            try (var map = BpfMap.fromPin(pin, LbSrcRangeKey.CODEC, Codec.u8())) {
                for (LbSrcRangeKey k : map.keys()) {
                    int bits = k.prefixLen() - 32;
                    boolean v4 = bits >= 96 && mapped4(k.addr());
                    out.computeIfAbsent(k.revNatId(), x -> new ArrayList<>())
                            .add(address(k.addr()) + "/" + (v4 ? bits - 96 : bits));
                }
            }
            out.values().forEach(java.util.Collections::sort);
            return out;
        }

        static String endpoint(byte[] addr16, int port) {
            return mapped4(addr16) ? address(addr16) + ":" + port : "[" + address(addr16) + "]:" + port;
        }

        /** The address as text: IPv4 for a v4-mapped one, compressed IPv6 else. */
        static String address(byte[] addr16) {
            try {
                return mapped4(addr16) ? InetAddress.getByAddress(Arrays.copyOfRange(addr16, 12, 16)).getHostAddress()
                        : new dev.weir.agent.net.Cidr(addr16, 128).toString().replace("/128", "");
            } catch (UnknownHostException e) {
                return "?";
            }
        }

        private static boolean mapped4(byte[] addr16) {
            return Arrays.equals(Arrays.copyOfRange(addr16, 0, 12),
                    new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff});
        }

        private static String proto(int p) {
            return p == 6 ? "TCP" : p == 17 ? "UDP" : Integer.toString(p);
        }

        private static String flags(int f) {
            String[] names = {"maglev", "affinity", "nodeport", "loadbalancer", "external-ip", "src-ranges", "ext-local", "reject"};
            List<String> out = new ArrayList<>();
            for (int i = 0; i < names.length; i++) {
                if ((f & (1 << i)) != 0) {
                    out.add(names[i]);
                }
            }
            return out.isEmpty() ? "-" : String.join(",", out);
        }
    }
}
