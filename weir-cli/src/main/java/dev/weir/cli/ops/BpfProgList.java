package dev.weir.cli.ops;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.weir.cli.output.Json;
import dev.weir.cli.output.OutputFormat;
import dev.weir.cli.output.Table;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.ProgramInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code weir bpf prog list}. */
@Command(name = "prog", mixinStandardHelpOptions = true,
        description = "List loaded BPF programs.", subcommands = BpfProgList.List_.class)
final class BpfProgList {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List loaded BPF programs (OWNER weir: loaded by weir, kept by its links or pins).")
    static final class List_ implements Runnable {
        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
        OutputFormat output;

        @Option(names = "--weir", description = "Only weir's programs.")
        boolean onlyWeir;

        record Row(int id, String type, String name, String tag, String owner, List<Integer> maps, long jitedBytes) {
        }

        @Override
        public void run() {
            Map<String, Path> pins = WeirPins.byId();
            List<Row> rows = new ArrayList<>();
            for (ProgramInfo p : BpfSystem.programs()) {
                boolean ours = p.name().startsWith("weir_") || pins.containsKey("prog:" + p.id());
                if (onlyWeir && !ours) {
                    continue;
                }
                rows.add(new Row(p.id(), p.type().name().toLowerCase(), p.name(), p.tag(), ours ? "weir" : "-",
                        p.mapIds(), p.jitedLength()));
            }
            PrintWriter out = new PrintWriter(System.out, true);
            if (output == OutputFormat.json) {
                Json.print(out, rows);
                return;
            }
            Table t = new Table("ID", "TYPE", "NAME", "TAG", "OWNER", "MAPS", "JITED");
            rows.forEach(r -> t.row(r.id(), r.type(), r.name(), r.tag(), r.owner(), r.maps(), r.jitedBytes() + "B"));
            t.print(out);
        }
    }
}
