package dev.weir.agent.datapath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.ebpf.BpfKernelException;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.Errno;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ProgramInfo;
import dev.weir.ebpf.TcDirection;
import dev.weir.ebpf.TcFilter;

/**
 * {@code weir_from_ep} and {@code weir_to_ep} on pods' node-side interfaces, as direct-action {@code cls_bpf} filters
 * at weir's slot ({@link EndpointMaps#FILTER_SLOT}) on the interface's {@code clsact} qdisc, not tcx links: a tcx
 * attach waits for an RCU grace period while it holds rtnl (docs/policy-datapath.md, "Attachment"), and ten CNI ADDs
 * at once queued behind twenty of them. A filter cannot be pinned, so what weir attached is recorded as empty bpffs
 * directories: {@code <pinDir>/tc/<iface>} for weir's filters, with a {@code clsact} directory inside when weir
 * made the qdisc too (only then is the qdisc removed with them). bpffs refuses dots in names: a dot is kept as
 * {@code %2e}, a percent sign as {@code %25}.
 *
 * <p>Methods that touch an interface act in the calling thread's network namespace. Kernel refusals are
 * {@link BpfKernelException}s naming the call and the interface.
 */
public final class EndpointFilters {

    /** The record directory under a node's pin directory. */
    public static final String DIR = "tc";
    /** Inside an interface's record: weir made its clsact qdisc. */
    static final String MADE_QDISC = "clsact";

    private final Path dir;

    /** @param pinDir the node's {@code /sys/fs/bpf/weir/<node>} */
    public EndpointFilters(Path pinDir) {
        this.dir = pinDir.resolve(DIR);
    }

    /**
     * Puts both programs in weir's slot on the interface, each replacing atomically what is there (nothing passes
     * unfiltered while a restarted agent swaps its programs in), after adding the clsact qdisc if it has none. The
     * record is made first: a crash in between leaves a record of nothing, never a filter without one.
     */
    public void attach(BpfProgram from, BpfProgram to, String iface) {
        boolean made = TcFilter.ensureClsact(iface);
        mkdirs(made ? record(iface).resolve(MADE_QDISC) : record(iface));
        TcFilter.replace(from, iface, TcDirection.INGRESS, EndpointMaps.FILTER_SLOT);
        TcFilter.replace(to, iface, TcDirection.EGRESS, EndpointMaps.FILTER_SLOT);
    }

    /** The interfaces with a record. */
    public Set<String> recorded() {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> out.add(decode(p.getFileName().toString())));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return out;
    }

    /** Whether the interface's record says weir made its clsact qdisc. */
    public boolean madeQdisc(String iface) {
        return Files.isDirectory(record(iface).resolve(MADE_QDISC));
    }

    /**
     * Removes weir's filters from the interface if it is still there (and its clsact qdisc, when weir made it), then
     * the record. What it did, for the log; nothing when the interface is gone (its filters went with it).
     */
    public List<String> detach(String iface) {
        Path record = record(iface);
        List<String> done = new ArrayList<>();
        if (exists(iface)) {
            done.addAll(removeFilters(iface, madeQdisc(iface)));
        }
        delete(record.resolve(MADE_QDISC));
        delete(record);
        return done;
    }

    /**
     * weir's filters on the interface, found by slot and program name ({@code weir_...}), and the clsact qdisc if
     * {@code madeQdisc} and a weir filter was there. A filter of another program in weir's slot is left alone.
     */
    public static List<String> removeFilters(String iface, boolean madeQdisc) {
        List<String> done = new ArrayList<>();
        for (TcDirection d : TcDirection.values()) {
            var id = TcFilter.query(iface, d, EndpointMaps.FILTER_SLOT);
            if (id.isPresent() && isWeirs(id.getAsInt()) && TcFilter.detach(iface, d, EndpointMaps.FILTER_SLOT)) {
                done.add("detached tc filter " + d.name().toLowerCase() + " of " + iface + " (program " + id.getAsInt() + ")");
            }
        }
        if (madeQdisc && !done.isEmpty() && TcFilter.removeClsact(iface)) {
            done.add("removed the clsact qdisc weir made on " + iface);
        }
        return done;
    }

    private static boolean isWeirs(int programId) {
        return dev.weir.ebpf.BpfSystem.program(programId).map(ProgramInfo::name).filter(n -> n.startsWith("weir_")).isPresent();
    }

    /** Whether the calling thread's namespace has an interface of that name. */
    public static boolean exists(String iface) {
        try {
            NetInterface.index(iface);
            return true;
        } catch (BpfKernelException e) {
            if (e.errno() == Errno.ENODEV) {
                return false;
            }
            throw e;
        }
    }

    private Path record(String iface) {
        return dir.resolve(encode(iface));
    }

    static String encode(String iface) {
        return iface.replace("%", "%25").replace(".", "%2e");
    }

    static String decode(String name) {
        return name.replace("%2e", ".").replace("%25", "%");
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the tc filters in " + p, e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + p, e);
        }
    }
}
