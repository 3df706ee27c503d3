package dev.weir.agent.prefilter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.weir.datapath.Datapath;
import dev.weir.datapath.prefilter.PfCounter;
import dev.weir.datapath.prefilter.PrefilterMaps;
import dev.weir.ebpf.BpfKernelException;
import dev.weir.ebpf.BpfLink;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.Errno;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.NetInterface;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.XdpLink;
import dev.weir.ebpf.XdpMode;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * The prefilter of one scope in the running kernel. Maps are pinned in
 * {@code /sys/fs/bpf/weir/prefilter/<scope>/}, XDP links in its {@code links/<iface>}; nothing is held
 * open between calls, so the CLI can exit and the pins keep the program attached and the maps alive. A node's
 * prefilter reuses the node's {@code tc_endpoint} maps the redirect stage reads ({@link PrefilterMaps#RDR_REUSED}:
 * endpoints, policy, conntrack, lifetimes) from the node's pins, so it sees the state TC sees.
 */
public final class KernelPrefilterDataplane implements PrefilterDataplane {

    /** Where weir pins everything; {@code weir uninstall} removes this tree. */
    public static final Path BPFFS_ROOT = Path.of("/sys/fs/bpf/weir");

    private static final int REASONS = 256;

    private final String scope;
    private final NetworkNamespace netns;
    private final Path dir;
    private final Path nodePins;

    public KernelPrefilterDataplane(String scope, NetworkNamespace netns) {
        this(scope, netns, BPFFS_ROOT.resolve("prefilter").resolve(scope));
    }

    public KernelPrefilterDataplane(String scope, NetworkNamespace netns, Path pinDir) {
        this(scope, netns, pinDir, null);
    }

    /**
     * @param nodePins the node's pin directory ({@code /sys/fs/bpf/weir/<node>}) whose {@code tc_endpoint} maps
     *                 the redirect stage reuses when all of them are pinned there; null: none (the object's own
     *                 empty placeholders, so nothing is redirected)
     */
    public KernelPrefilterDataplane(String scope, NetworkNamespace netns, Path pinDir, Path nodePins) {
        this.scope = scope;
        this.netns = netns;
        this.dir = pinDir;
        this.nodePins = nodePins;
    }

    public Path pinDirectory() {
        return dir;
    }

    @Override
    public boolean loaded() {
        return Files.exists(dir.resolve(PrefilterMaps.ACTIVE));
    }

    @Override
    public void load(Capacity capacity) {
        loadObject(capacity).close();
    }

    /** Loads the object with its maps pinned (reusing pinned ones); the caller owns the result. */
    public BpfObject loadObject(Capacity capacity) {
        try {
            Files.createDirectories(dir.resolve("links"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        LoadOptions.Builder opts = LoadOptions.builder().pinDirectory(dir).reusePinned(true)
                .maxEntries(PrefilterMaps.HITS, capacity.rules());
        for (int gen = 0; gen < 2; gen++) {
            for (String map : List.of(PrefilterMaps.src4(gen), PrefilterMaps.src6(gen),
                    PrefilterMaps.dst4(gen), PrefilterMaps.dst6(gen), PrefilterMaps.snet4(gen),
                    PrefilterMaps.snet6(gen), PrefilterMaps.dnet4(gen), PrefilterMaps.dnet6(gen))) {
                opts.maxEntries(map, capacity.prefixes());
            }
        }
        if (nodePins != null && PrefilterMaps.RDR_REUSED.stream().allMatch(m -> Files.exists(nodePins.resolve(m)))) {
            PrefilterMaps.RDR_REUSED.forEach(m -> opts.reuse(m, nodePins.resolve(m)));
        }
        return BpfObject.load(spec(), opts.build());
    }

    /** The embedded prefilter object. */
    public static ObjectSpec spec() {
        return ObjectSpec.read(PrefilterMaps.OBJECT, Datapath.object(PrefilterMaps.OBJECT));
    }

    @Override
    public String attach(String iface, String mode) {
        Path pin = linkPin(iface);
        if (Files.exists(pin)) {
            throw new IllegalArgumentException("the prefilter is already attached to " + iface + " in " + where()
                    + " (detach first to change the mode)");
        }
        XdpMode xdpMode = XdpMode.valueOf(mode.toUpperCase());
        try (BpfObject obj = loadObject(capacityOfPins())) {
            return netns.callUnchecked(() -> {
                requireInterface(iface);
                try (XdpLink link = attachXdp(obj, iface, xdpMode)) {
                    link.pin(pin);
                    return link.mode().name().toLowerCase();
                }
            });
        }
    }

    private XdpLink attachXdp(BpfObject obj, String iface, XdpMode mode) {
        try {
            return XdpLink.attach(obj.program(PrefilterMaps.PROGRAM), iface, mode);
        } catch (BpfKernelException e) {
            if (mode == XdpMode.NATIVE && (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EINVAL)) {
                throw new IllegalArgumentException("the driver of " + iface + " in " + where()
                        + " does not support native XDP (" + e.errno() + "); --mode auto would pick generic", e);
            }
            if (e.errno() == Errno.EBUSY || e.errno() == Errno.EEXIST) {
                throw new IllegalArgumentException("another XDP program is already attached to " + iface + " in "
                        + where() + " (" + e.errno() + "); weir does not replace programs it did not install", e);
            }
            throw e;
        }
    }

    @Override
    public void checkInterface(String iface) {
        linkPin(iface);
        netns.callUnchecked(() -> {
            requireInterface(iface);
            return null;
        });
    }

    private void requireInterface(String iface) {
        try {
            NetInterface.index(iface);
        } catch (BpfKernelException e) {
            throw new IllegalArgumentException("no interface " + iface + " in " + where(), e);
        }
    }

    /** Sizes of the already pinned maps, so that a second attach reuses them instead of clashing. */
    private Capacity capacityOfPins() {
        if (!loaded()) {
            return Capacity.DEFAULT;
        }
        try (var hits = BpfPerCpuMap.fromPinPerCpu(dir.resolve(PrefilterMaps.HITS), Codec.u32(), PfCounter.CODEC);
             var src4 = dev.weir.ebpf.BpfMap.fromPin(dir.resolve(PrefilterMaps.src4(0)), Codec.bytes(8), Codec.bytes(32))) {
            return new Capacity(src4.maxEntries(), hits.maxEntries());
        }
    }

    /** The capacity the pinned maps were created with, or empty when nothing is pinned. */
    public java.util.Optional<Capacity> pinnedCapacity() {
        return loaded() ? java.util.Optional.of(capacityOfPins()) : java.util.Optional.empty();
    }

    @Override
    public boolean detach(String iface) {
        Path pin = linkPin(iface);
        if (!Files.exists(pin)) {
            return false;
        }
        try (BpfLink link = BpfLink.fromPin(pin)) {
            link.unpin();
        }
        return true;
    }

    @Override
    public List<String> attached() {
        Path links = dir.resolve("links");
        if (!Files.isDirectory(links)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(links)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + links, e);
        }
    }

    @Override
    public void apply(CompiledRules previous, CompiledRules next) {
        try (KernelTables t = new KernelTables(dir)) {
            GenerationSwap.apply(t, previous, next);
        }
    }

    @Override
    public void rewrite(CompiledRules all) {
        try (KernelTables t = new KernelTables(dir)) {
            GenerationSwap.rewrite(t, all);
        }
    }

    @Override
    public Map<Integer, long[]> reasonCounters() {
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < REASONS; i++) {
            keys.add(i);
        }
        return counters(PrefilterMaps.STATS, keys);
    }

    /** Empty when the pins predate dry runs (no {@code pf_dry}). */
    @Override
    public Map<Integer, long[]> wouldDropCounters() {
        if (!Files.exists(dir.resolve(PrefilterMaps.DRY))) {
            return Map.of();
        }
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < REASONS; i++) {
            keys.add(i);
        }
        return counters(PrefilterMaps.DRY, keys);
    }

    @Override
    public Map<Integer, long[]> ruleCounters(List<Integer> ruleIds) {
        return counters(PrefilterMaps.HITS, ruleIds);
    }

    private Map<Integer, long[]> counters(String name, List<Integer> keys) {
        Map<Integer, long[]> out = new HashMap<>();
        try (var m = BpfPerCpuMap.fromPinPerCpu(dir.resolve(name), Codec.u32(), PfCounter.CODEC)) {
            for (int k : keys) {
                if (k < 0 || k >= m.maxEntries()) {
                    continue;
                }
                PfCounter c = m.lookupSum(k, (a, b) -> new PfCounter(a.packets() + b.packets(), a.bytes() + b.bytes()))
                        ;
                if (c != null) {
                    out.put(k, new long[] {c.packets(), c.bytes()});
                }
            }
        }
        return out;
    }

    @Override
    public void synProxyPorts(List<Integer> was, List<Integer> ports) {
        try (var m = dev.weir.ebpf.BpfMap.fromPin(dir.resolve(PrefilterMaps.SYN_PORTS), Codec.u32(), Codec.u64())) {
            for (int p : was) {
                if (!ports.contains(p)) {
                    m.put(p, 0L);
                }
            }
            for (int p : ports) {
                if (!was.contains(p)) {
                    m.put(p, 1L);
                }
            }
        }
    }

    /** Empty when the pins predate the SYN counters (no {@code pf_tcp}). */
    @Override
    public Map<Integer, long[]> tcpCounters() {
        Map<Integer, long[]> out = new HashMap<>();
        if (!Files.exists(dir.resolve(PrefilterMaps.TCP))) {
            return out;
        }
        try (var m = BpfPerCpuMap.fromPinPerCpu(dir.resolve(PrefilterMaps.TCP), Codec.u32(), PfCounter.CODEC)) {
            for (int k : List.of(PrefilterMaps.TCP_SYN, PrefilterMaps.TCP_COOKIE_SENT, PrefilterMaps.TCP_COOKIE_OK)) {
                out.put(k, m.lookupPerCpu(k).stream().mapToLong(PfCounter::packets).toArray());
            }
        }
        return out;
    }

    @Override
    public void resetRuleCounters(List<Integer> ruleIds) {
        if (ruleIds.isEmpty()) {
            return;
        }
        try (var m = BpfPerCpuMap.fromPinPerCpu(dir.resolve(PrefilterMaps.HITS), Codec.u32(), PfCounter.CODEC)) {
            for (int id : ruleIds) {
                if (id >= 0 && id < m.maxEntries()) {
                    m.put(id, m.everyCpu(PfCounter.ZERO));
                }
            }
        }
    }

    @Override
    public int redirect(List<String> ifaces, List<RedirectPod> pods) {
        if (!loaded() || !Files.exists(dir.resolve(PrefilterMaps.DEVMAP))) {
            return 0;
        }
        return netns.callUnchecked(() -> new RedirectMaps(dir).write(ifaces, pods));
    }

    @Override
    public Map<Integer, long[]> redirectCounters() {
        if (!Files.exists(dir.resolve(PrefilterMaps.RDR_STATS))) {
            return Map.of();
        }
        List<Integer> keys = new ArrayList<>();
        for (int i = PrefilterMaps.RDR_ESTABLISHED; i <= PrefilterMaps.RDR_NO_DEV; i++) {
            keys.add(i);
        }
        return counters(PrefilterMaps.RDR_STATS, keys);
    }

    @Override
    public void destroy() {
        for (String iface : attached()) {
            detach(iface);
        }
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove pins under " + dir, e);
        }
    }

    private Path linkPin(String iface) {
        if (iface.isEmpty() || iface.contains("/") || iface.length() > 15) {
            throw new IllegalArgumentException("invalid interface name '" + iface + "'");
        }
        return dir.resolve("links").resolve(iface.replace('.', '_'));  // bpffs refuses dots in names
    }

    private String where() {
        return netns.isCurrent() ? "the current network namespace" : "network namespace " + netns.name();
    }

    @Override
    public String toString() {
        return "prefilter(" + scope + ")";
    }
}
