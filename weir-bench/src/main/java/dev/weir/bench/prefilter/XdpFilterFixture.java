package dev.weir.bench.prefilter;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.weir.ebpf.BpfPerCpuMap;
import dev.weir.ebpf.BpfProgram;
import dev.weir.ebpf.BpfSystem;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.netns.NetworkNamespace;
import dev.weir.lab.host.Netns;
import dev.weir.lab.host.Shell;

/**
 * xdp-tools' {@code xdp-filter} (the Debian package) deployed as its users deploy it, but inside a
 * private network namespace {@value #NETNS}: one veth pair per variant, {@code xdp-filter load} on
 * each, so that the program under test is exactly what xdp-filter attaches (the libxdp dispatcher when
 * libxdp can use one, else the {@code xdpfilt_*} program itself). Both variants share xdp-filter's
 * pinned {@code filter_ipv4} map, which {@link #fill} writes.
 *
 * <p>xdp-filter pins its maps in {@value #PIN_ROOT} (a fixed path it does not let us move), so the
 * fixture refuses to start when that directory exists: it belongs to someone else's xdp-filter. libxdp's
 * own pins go to a private directory through {@code LIBXDP_BPFFS}. Owns the program and map descriptors
 * ({@link #close()}); the namespace, the attachments and the pins are undone by {@link Cleanup} steps
 * registered in {@link #start}. Failures of the tools raise {@link dev.weir.lab.LabException} with the
 * command and its stderr.
 */
final class XdpFilterFixture implements AutoCloseable {

    static final String NETNS = "weir-bench-xdpf";
    static final Path PIN_ROOT = Path.of("/sys/fs/bpf/xdp-filter");
    /** xdp-filter's filter_ipv4 holds this many addresses (max_entries in xdpfilt_prog.h). */
    static final int MAX_ADDRESSES = 10_000;
    /** MAP_FLAG_SRC in xdp-filter's common_kern_user.h: match the source address. */
    static final long MAP_FLAG_SRC = 1;
    /** Bits below COUNTER_SHIFT (6) are flags; above them xdp-filter counts hits. */
    private static final long FLAG_BITS = (1 << 6) - 1;
    /** Addresses added through the real {@code xdp-filter ip} command, to prove the direct writes' format. */
    static final int VIA_COMMAND = 5;

    /** One {@code xdp-filter load} on its own interface. */
    record Variant(String label, String iface, String features, BpfProgram program, String programName) {
    }

    private final List<Variant> variants;
    private final BpfPerCpuMap<byte[], Long> filterIpv4;
    private final Path libxdpDir;

    private XdpFilterFixture(List<Variant> variants, BpfPerCpuMap<byte[], Long> filterIpv4, Path libxdpDir) {
        this.variants = variants;
        this.filterIpv4 = filterIpv4;
        this.libxdpDir = libxdpDir;
    }

    /**
     * Creates the namespace and loads xdp-filter twice: with {@code --features ipv4} (the smallest
     * program that filters IPv4 addresses) and with its defaults (every feature).
     *
     * @param privateDir a directory on bpffs owned by this run, for libxdp's pins
     * @param mode       xdp-filter's {@code --mode}: skb or native
     * @throws CannotRunException when xdp-filter is missing or already in use on this machine
     */
    static XdpFilterFixture start(Path privateDir, String mode, Cleanup cleanup) throws IOException {
        if (!Shell.exec(List.of("sh", "-c", "command -v xdp-filter"), null).ok()) {
            throw new CannotRunException("xdp-filter is not installed (Debian package xdp-tools; scripts/setup.sh installs it)");
        }
        if (Files.exists(PIN_ROOT)) {
            throw new CannotRunException(PIN_ROOT + " exists: another xdp-filter is loaded on this machine and "
                    + "xdp-filter keeps its maps there; unload it first (xdp-filter unload --all)");
        }
        if (NetworkNamespace.exists(NETNS)) {
            throw new CannotRunException("network namespace " + NETNS + " exists: another benchmark is running, or a "
                    + "killed one left it (check `ip netns pids " + NETNS + "`, then `ip netns del " + NETNS + "`)");
        }
        Path libxdpDir = Files.createDirectories(privateDir.resolve("libxdp"));

        Netns.add(List.of(NETNS));
        cleanup.push("delete network namespace " + NETNS, () -> Netns.delete(List.of(NETNS)));
        cleanup.push("remove " + PIN_ROOT, () -> removeTree(PIN_ROOT));
        cleanup.push("xdp-filter unload --all", () -> {
            if (Files.exists(PIN_ROOT)) {
                xdpFilter(libxdpDir, "unload", "--all");
            }
        });
        List<String[]> specs = List.of(
                new String[] {"--features ipv4", "xf-ipv4", "ipv4"},
                new String[] {"default (all features)", "xf-all", "all"});
        List<String> batch = new ArrayList<>();
        for (String[] s : specs) {
            batch.add("link add " + s[1] + " type veth peer name " + s[1] + "-p");
            batch.add("link set " + s[1] + " up");
            batch.add("link set " + s[1] + "-p up");
        }
        Shell.ipBatch(NETNS, batch);

        List<Variant> variants = new ArrayList<>();
        try {
            for (String[] s : specs) {
                xdpFilter(libxdpDir, "load", s[1], "--mode", mode, "--features", s[2]);
                int id = NetworkNamespace.named(NETNS).callUnchecked(() -> BpfSystem.xdpQuery(s[1]).programId());
                if (id == 0) {
                    throw new IllegalStateException("xdp-filter load " + s[1] + " reported success but no XDP program is attached");
                }
                BpfProgram p = BpfProgram.fromId(id);
                variants.add(new Variant(s[0], s[1], s[2], p, p.name()));
            }
            return new XdpFilterFixture(List.copyOf(variants),
                    BpfPerCpuMap.fromPinPerCpu(PIN_ROOT.resolve("filter_ipv4"), Codec.bytes(4), Codec.u64()), libxdpDir);
        } catch (RuntimeException e) {
            variants.forEach(v -> v.program().close());
            throw e;
        }
    }

    List<Variant> variants() {
        return variants;
    }

    /**
     * Makes {@code filter_ipv4} hold exactly these source addresses (4 bytes each): the first
     * {@value #VIA_COMMAND} through {@code xdp-filter ip ADDR --mode src}, whose stored value is then
     * checked to be what the direct writes store (MAP_FLAG_SRC on every CPU), the rest written directly.
     */
    void fill(List<byte[]> addresses) {
        if (addresses.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException("xdp-filter holds at most " + MAX_ADDRESSES + " IPv4 addresses, not "
                    + addresses.size());
        }
        List<byte[]> old = new ArrayList<>(filterIpv4.keys());
        if (!old.isEmpty()) {
            filterIpv4.deleteBatch(old);
        }
        int viaCommand = Math.min(VIA_COMMAND, addresses.size());
        for (int i = 0; i < viaCommand; i++) {
            byte[] a = addresses.get(i);
            xdpFilter(libxdpDir, "ip", text(a), "--mode", "src");
            List<Long> stored = filterIpv4.lookupPerCpu(a);
            if (stored.isEmpty() || stored.stream().anyMatch(v -> (v & FLAG_BITS) != MAP_FLAG_SRC)) {
                throw new IllegalStateException("xdp-filter ip " + text(a) + " --mode src stored " + stored
                        + " in filter_ipv4; the benchmark writes " + MAP_FLAG_SRC + " per CPU (xdp-filter's map format changed?)");
            }
        }
        List<Long> value = filterIpv4.everyCpu(MAP_FLAG_SRC);
        for (int i = viaCommand; i < addresses.size(); i++) {
            filterIpv4.put(addresses.get(i), value);
        }
        int count = filterIpv4.count();
        if (count != addresses.size()) {
            throw new IllegalStateException("filter_ipv4 holds " + count + " addresses after filling " + addresses.size());
        }
    }

    private static void xdpFilter(Path libxdpDir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "LIBXDP_BPFFS=" + libxdpDir,
                "nsenter", "--net=" + Netns.file(NETNS), "xdp-filter"));
        cmd.addAll(List.of(args));
        Shell.Result r = Shell.exec(cmd, null);
        if (!r.ok()) {
            throw new IllegalStateException("`" + String.join(" ", cmd) + "` failed (exit " + r.exit() + "): "
                    + (r.stderr() + r.stdout()).strip());
        }
    }

    static String text(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static void removeTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        variants.forEach(v -> v.program().close());
        filterIpv4.close();
    }
}
