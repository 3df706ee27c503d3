package dev.weir.cli.agent;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.datapath.nodeport.NpCtKey;
import dev.weir.datapath.nodeport.NpCtVal;
import dev.weir.ebpf.BpfMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir bpf nodeport list}: the connections of clients from outside the node in the nodes' pinned
 * {@code np_ct} maps (docs/service-datapath.md, "From outside the node"), one row per connection: client,
 * frontend, the SNAT address and port, backend, state. Reads the maps directly.
 */
@Command(name = "nodeport", mixinStandardHelpOptions = true,
        description = "Services reached from outside the node: their NAT table (np_ct).",
        subcommands = NodePortListCommand.List_.class)
public final class NodePortListCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List each node's translated connections of external clients (client, frontend, SNAT, backend).")
    static final class List_ implements Runnable {
        private static final String[] STATES = {"-", "syn-sent", "established", "closing"};

        @Option(names = "--node", paramLabel = "NAME", description = "Only this node.")
        String node;

        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        /** One connection (its FWD entry, with the REV entry's packets when present). */
        record Row(String node, String proto, String client, String frontend, String snat, String backend, String state,
                   long expiresInSec, long packets, long revPackets, int svcId, int revNatId, int backendId) {
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
            Table t = new Table("NODE", "PROTO", "CLIENT", "FRONTEND", "SNAT", "BACKEND", "STATE", "EXPIRES", "PACKETS",
                    "REV PACKETS");
            rows.forEach(r -> t.row(r.node(), r.proto(), r.client(), r.frontend(), r.snat(), r.backend(), r.state(),
                    r.expiresInSec() + "s", r.packets(), r.revPackets()));
            t.print(out);
        }

        private List<Path> nodeDirs() {
            Path root = CtFlushCommand.ROOT;
            if (!Files.isDirectory(root)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(root)) {
                return s.filter(d -> Files.exists(d.resolve(NodePortMaps.CT)))
                        .filter(d -> node == null || d.getFileName().toString().equals(node)).sorted().toList();
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
            }
        }

        private static List<Row> read(Path dir) {
            List<Row> rows = new ArrayList<>();
            long now = System.nanoTime(); // CLOCK_MONOTONIC, bpf_ktime_get_ns()'s clock
            try (var ct = BpfMap.fromPin(dir.resolve(NodePortMaps.CT), NpCtKey.CODEC, NpCtVal.CODEC)) {
                Map<NpCtKey, NpCtVal> all = ct.entries();
                for (var e : all.entrySet()) {
                    NpCtKey k = e.getKey();
                    NpCtVal v = e.getValue();
                    if (v.expiresNs() <= now) {
                        continue;
                    }
                    if (k.dir() != NodePortMaps.DIR_FWD) {
                        if (v.dsr() && !all.containsKey(new NpCtKey(v.natDaddr(), v.natSaddr(), v.natDport(), v.natSport(),
                                k.proto(), NodePortMaps.DIR_FWD))) {
                            rows.add(dsrRow(dir, k, v, now)); // the backend's node of a DSR connection: REV only
                        }
                        continue;
                    }
                    NpCtVal rev = all.get(new NpCtKey(v.natDaddr(), v.natSaddr(), v.natDport(), v.natSport(), k.proto(),
                            NodePortMaps.DIR_REV));
                    rows.add(new Row(dir.getFileName().toString(), k.proto() == 6 ? "TCP" : k.proto() == 17 ? "UDP"
                            : Integer.toString(k.proto()), LbListCommand.List_.endpoint(k.saddr(), k.sport()),
                            LbListCommand.List_.endpoint(k.daddr(), k.dport()),
                            v.snat() ? LbListCommand.List_.endpoint(v.natSaddr(), v.natSport()) : v.dsr() ? "dsr" : "-",
                            LbListCommand.List_.endpoint(v.natDaddr(), v.natDport()),
                            k.proto() == 6 && v.state() < STATES.length ? STATES[v.state()] : "-",
                            (v.expiresNs() - now) / 1_000_000_000L, v.packets(), rev == null ? 0 : rev.packets(),
                            v.svcId(), v.revNatId(), v.backendId()));
                }
            }
            rows.sort(Comparator.comparing(Row::frontend).thenComparing(Row::client));
            return rows;
        }

        /** A REV entry a DSR option made: the backend answers the client as the frontend, from this node. */
        private static Row dsrRow(Path dir, NpCtKey k, NpCtVal v, long now) {
            return new Row(dir.getFileName().toString(), k.proto() == 6 ? "TCP" : k.proto() == 17 ? "UDP"
                    : Integer.toString(k.proto()), LbListCommand.List_.endpoint(v.natDaddr(), v.natDport()),
                    LbListCommand.List_.endpoint(v.natSaddr(), v.natSport()), "dsr-reply",
                    LbListCommand.List_.endpoint(k.saddr(), k.sport()),
                    k.proto() == 6 && v.state() < STATES.length ? STATES[v.state()] : "-",
                    (v.expiresNs() - now) / 1_000_000_000L, 0, v.packets(), v.svcId(), v.revNatId(), v.backendId());
        }
    }
}
