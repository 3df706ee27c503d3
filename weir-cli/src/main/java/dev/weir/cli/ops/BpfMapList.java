package dev.weir.cli.ops;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.MapInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir bpf map list}: maps with their fill level. */
@Command(name = "map", mixinStandardHelpOptions = true,
        description = "List BPF maps.", subcommands = BpfMapList.List_.class)
public final class BpfMapList {

    @Command(name = "list", mixinStandardHelpOptions = true, description = {
            "List BPF maps with fill level: entries in use / max entries for hash, LRU and LPM maps",
            "(arrays are always full; ring buffers show their size). By default only weir's maps; --all for every map."})
    static final class List_ implements Runnable {
        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        @Option(names = "--all", description = "Every map in the kernel, not just weir's.")
        boolean all;

        @Override
        public void run() {
            List<Row> rows = rows(all);
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            Table t = new Table("ID", "TYPE", "NAME", "KEY", "VALUE", "MAX", "ENTRIES", "FILL", "PIN");
            rows.forEach(r -> t.row(r.id(), r.type(), r.name(), r.keySize() + "B", r.valueSize() + "B", r.maxEntries(),
                    r.entries() == null ? "-" : r.entries(), r.fillPercent() == null ? "-" : r.fillPercent() + "%",
                    r.pin() == null ? "" : r.pin()));
            t.print(out);
        }
    }

    /**
     * One map; {@code entries} and {@code fillPercent} only for the types whose entries can be counted.
     *
     * @param pin where weir pinned it, or null
     */
    public record Row(int id, String type, String name, int keySize, int valueSize, int maxEntries, Integer entries,
                      Double fillPercent, String pin) {
    }

    /** weir's pinned maps (every map with {@code all}), with their fill. */
    public static List<Row> rows(boolean all) {
        Map<String, Path> pins = WeirPins.byId();
        List<Row> rows = new ArrayList<>();
        for (MapInfo m : BpfSystem.maps()) {
            Path pin = pins.get("map:" + m.id());
            if (!all && pin == null) {
                continue;
            }
            Integer entries = m.type().hasFill() ? count(m) : null;
            Double fill = entries == null ? null : Math.round(1000.0 * entries / m.maxEntries()) / 10.0;
            rows.add(new Row(m.id(), m.type().name().toLowerCase(), m.name(), m.keySize(), m.valueSize(),
                    m.maxEntries(), entries, fill, pin == null ? null : pin.toString()));
        }
        return rows;
    }

    private static Integer count(MapInfo m) {
        try (BpfMap<?, ?> map = BpfMap.fromId(m.id())) {
            return map.count();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
