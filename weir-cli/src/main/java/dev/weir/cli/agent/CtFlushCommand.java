package dev.weir.cli.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.nodeport.NodePortMaps;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.PinnedObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir bpf ct flush}: empties the nodes' conntrack tables (pinned {@code ct} maps, and {@code np_ct}, the
 * NAT table of external clients' connections: they are translated anew at their next packet), like
 * {@code cilium-dbg bpf ct flush global}. Established connections are then judged by policy again at their
 * next packet. Works without the agents: the maps are pinned.
 */
@Command(name = "flush", mixinStandardHelpOptions = true,
        description = {"Empty the conntrack table of every node (or --node): existing connections are then",
                "judged by the policy in force at their next packet, as new ones. The NAT table of external",
                "clients' connections (np_ct) is emptied too."})
final class CtFlushCommand implements Runnable {

    static final Path ROOT = Path.of("/sys/fs/bpf/weir");

    @Option(names = "--node", paramLabel = "NAME", description = "Only this node.")
    String node;

    @Override
    public void run() {
        List<Path> pins = pins();
        if (pins.isEmpty()) {
            throw new IllegalArgumentException("no conntrack table pinned under " + ROOT
                    + (node == null ? "" : " for node " + node));
        }
        for (Path pin : pins) {
            int n = flush(pin);
            Path np = pin.resolveSibling(NodePortMaps.CT);
            String more = Files.exists(np) ? ", np_ct " + flush(np) : "";
            System.out.println(pin.getParent().getFileName() + ": flushed " + n + " entries" + more);
        }
    }

    private static int flush(Path pin) {
        int id = PinnedObject.inspect(pin).orElseThrow(() -> new IllegalStateException("cannot open " + pin)).id();
        try (BpfMap<?, ?> map = BpfMap.fromId(id)) {
            return flush(map);
        }
    }

    private static <K> int flush(BpfMap<K, ?> ct) {
        int n = 0;
        for (K k : ct.keys()) {
            if (ct.delete(k)) {
                n++;
            }
        }
        return n;
    }

    private List<Path> pins() {
        if (!Files.isDirectory(ROOT)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(ROOT)) {
            return s.filter(d -> node == null || d.getFileName().toString().equals(node))
                    .map(d -> d.resolve(EndpointMaps.CT)).filter(Files::exists).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + ROOT + ": " + e.getMessage(), e);
        }
    }
}
