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
import java.util.stream.Stream;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.datapath.lb.LbBackend;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.datapath.lb.LbSlotKey;
import dev.weir.datapath.lb.LbSvcKey;
import dev.weir.datapath.lb.LbSvcVal;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.Codec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir bpf lb list}: every service frontend in the nodes' pinned {@code lb_svc} maps with the
 * backends of its current generation, like {@code cilium-dbg bpf lb list}. Reads the maps directly.
 */
@Command(name = "lb", description = "The service load-balancing maps.", subcommands = LbListCommand.List_.class)
public final class LbListCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List each node's service frontends (lb_svc) with their active backends and flags.")
    static final class List_ implements Runnable {
        @Option(names = "--node", paramLabel = "NAME", description = "Only this node.")
        String node;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        /** One frontend. */
        record Row(String node, String frontend, String scope, int svcId, int revNatId, String flags,
                   List<String> backends) {
        }

        @Override
        public void run() {
            List<Row> rows = new ArrayList<>();
            for (Path dir : nodeDirs()) {
                rows.addAll(read(dir));
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            Table t = new Table("NODE", "SERVICE ADDRESS", "SCOPE", "ID", "REVNAT", "FLAGS", "BACKENDS");
            rows.forEach(r -> t.row(r.node(), r.frontend(), r.scope(), r.svcId(), r.revNatId(), r.flags(),
                    r.backends().isEmpty() ? "(none: refused)" : String.join(", ", r.backends())));
            t.print(out);
        }

        private List<Path> nodeDirs() {
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
                            k.scope() == 1 ? "local" : "any", v.svcId(), v.revNatId(), flags(v.flags()), list));
                }
            }
            rows.sort((a, b) -> a.frontend().compareTo(b.frontend()));
            return rows;
        }

        static String endpoint(byte[] addr16, int port) {
            try {
                boolean v4 = Arrays.equals(Arrays.copyOfRange(addr16, 0, 12),
                        new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff});
                String a = v4 ? InetAddress.getByAddress(Arrays.copyOfRange(addr16, 12, 16)).getHostAddress()
                        : new dev.weir.agent.net.Cidr(addr16, 128).toString().replace("/128", "");
                return v4 ? a + ":" + port : "[" + a + "]:" + port;
            } catch (UnknownHostException e) {
                return "?";
            }
        }

        private static String proto(int p) {
            return p == 6 ? "TCP" : p == 17 ? "UDP" : Integer.toString(p);
        }

        private static String flags(int f) {
            String[] names = {"maglev", "affinity", "nodeport", "loadbalancer", "external-ip", "src-ranges"};
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
