package dev.weir.agent.datapath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.lb.LbMaps;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.Probe;

/**
 * Socket-level service translation (docs/service-datapath.md, "Socket path details"): {@code sock_lb.o}
 * loaded with the node's pinned LB maps reused by name (sized like the already loaded {@code tc_endpoint}
 * object's, read from its maps, so both always agree) and {@code lb_sock_stats} pinned beside them; its
 * eight programs ({@link LbMaps#SOCK_HOOKS}) attached as cgroup links to the own cgroup of every local
 * pod, each link pinned at {@code <pinDir>/sock-links/<namespace>_<pod>_<hook>}. Never the cgroup2 root,
 * never the agent's own cgroup.
 *
 * <p>Lifetime: {@link #start} once (loads, or with {@link SocketLbMode#off} / an unsupported kernel under
 * {@link SocketLbMode#auto} detaches every pinned link a previous agent left); {@link #apply} from the sync
 * loop's thread; {@link #stop} closes the object and leaves the pinned links attached, so a restarted agent
 * disturbs no socket. Throws {@link IllegalStateException} for a refused cgroup or an unsupported kernel
 * under {@link SocketLbMode#on}, kernel exceptions for failed loads and attaches.
 */
final class SocketLb {

    /** Where the cgroup links are pinned, under the node's pin directory. */
    static final String LINK_DIR = "sock-links";
    /** The newest hook the object needs (Linux 5.8); the others are older. */
    private static final AttachType PROBED = AttachType.CGROUP_INET6_GETPEERNAME;

    /**
     * @param pinDir     {@code /sys/fs/bpf/weir/<node>}
     * @param mode       the {@code --socket-lb} setting
     * @param hostCgroup the cgroup of the node's own processes ({@code --host-cgroup}), which get the hooks too
     *                   (host-reachable services), or null
     */
    record Config(Path pinDir, SocketLbMode mode, String hostCgroup) {
        Config(Path pinDir, SocketLbMode mode) {
            this(pinDir, mode, null);
        }
    }

    /** The pin names of the host cgroup's links: {@code host_<hook>}. */
    static final String HOST_PIN = "host";

    private final Config config;
    private final Consumer<String> log;
    private final CgroupLinks links;
    /** {@code lb_sock_ep} as this agent wrote it (read from the map once, at the first apply). */
    private final Map<Long, Long> written = new HashMap<>();
    private boolean firstApply = true;
    private BpfObject obj;
    /** {@code lb_sock_ep}: cgroup id to endpoint id (the value's low 32 bits: {@code struct sock_ep} on little-endian). */
    private BpfMap<Long, Long> podsByCgroup;
    private String state = "not started";

    SocketLb(Config config, Consumer<String> log) {
        this.config = config;
        this.log = log;
        this.links = new CgroupLinks(config.pinDir().resolve(LINK_DIR));
    }

    /** Loads {@code sock_lb.o} reusing the maps of {@code tcEndpoint}, or detaches every link when off. */
    void start(BpfObject tcEndpoint) throws IOException {
        Files.createDirectories(links.dir());
        Probe probe = Features.cgroupSockAddr(PROBED);
        if (config.mode() == SocketLbMode.on && !probe.isSupported()) {
            throw new IllegalStateException("--socket-lb on, but " + probe.reason());
        }
        if (config.mode() == SocketLbMode.off || !probe.isSupported()) {
            state = config.mode() == SocketLbMode.off ? "tc (socket LB off)" : "tc (socket LB unsupported: " + probe.reason() + ")";
            int n = links.detachExcept(Set.of());
            log.accept("dataplane: socket LB off" + (n > 0 ? ", detached " + n + " cgroup links" : "") + "; services at TC only");
            return;
        }
        ObjectSpec spec = ObjectSpec.read(LbMaps.SOCK_OBJECT, Datapath.object(LbMaps.SOCK_OBJECT));
        Set<String> pinned = new HashSet<>(LbMaps.SHARED);
        pinned.addAll(LbMaps.SOCK_FROM_ENDPOINT);
        pinned.add(LbMaps.SOCK_STATS);
        pinned.add(LbMaps.SOCK_EP);
        List<String> shared = new ArrayList<>(LbMaps.SHARED);
        shared.addAll(LbMaps.SOCK_FROM_ENDPOINT);
        obj = BpfObject.load(spec, sharing(config.pinDir(), pinned, tcEndpoint, shared).build());
        podsByCgroup = obj.map(LbMaps.SOCK_EP, Codec.u64(), Codec.u64());
        state = "socket+tc";
        log.accept("dataplane: sock_lb loaded (LB maps shared with tc_endpoint); services at the socket of local pods, TC for the rest");
    }

    /**
     * Load options that pin the maps {@code pinned} in {@code pinDir} (reusing what is pinned there), the maps
     * {@code shared} sized like {@code tcEndpoint}'s (so that both always agree).
     */
    static LoadOptions.Builder sharing(Path pinDir, Set<String> pinned, BpfObject tcEndpoint, List<String> shared) {
        LoadOptions.Builder options = LoadOptions.builder().pinDirectory(pinDir).pinMaps(pinned).reusePinned(true);
        for (String name : shared) {
            MapSpec m = tcEndpoint.spec().map(name);
            options.maxEntries(name, tcEndpoint.map(name, Codec.bytes(m.keySize()), Codec.bytes(m.valueSize())).maxEntries());
        }
        return options;
    }

    /** What {@code weir status} shows: {@code socket+tc}, or {@code tc (why)}. */
    String state() {
        return state;
    }

    void stop() {
        if (obj != null) {
            obj.close();
            obj = null;
        }
    }

    /**
     * Attaches the hooks to the cgroup of every local endpoint that has one and to the host's cgroup when
     * configured (pins whose link still sits on that very cgroup are kept) and detaches the links of pods that are
     * gone. Nothing when off.
     *
     * @return the cgroup ids of the pods that got a link attached now (a program attached later runs after it)
     * @throws IllegalStateException naming the pods whose cgroup was refused or could not be attached,
     *                               after every other pod was handled
     */
    Set<Long> apply(List<Endpoint> local) {
        Set<Long> fresh = new HashSet<>();
        if (obj == null) {
            return fresh;
        }
        Set<String> expected = new HashSet<>();
        Map<Long, Long> pods = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Endpoint ep : local) {
            if (ep.cgroup() == null) {
                continue;
            }
            try {
                Path cgroup = links.podCgroup(ep.cgroup());
                long id = PodCgroups.id(cgroup);
                pods.put(id, (long) ep.id());
                if (!Long.valueOf(ep.id()).equals(written.get(id))) {
                    podsByCgroup.put(id, (long) ep.id());
                    written.put(id, (long) ep.id());
                }
                for (LbMaps.Hook h : LbMaps.SOCK_HOOKS) {
                    String pin = pinName(ep, h);
                    expected.add(pin);
                    if (attach(pin, h, cgroup, id)) {
                        fresh.add(id);
                    }
                }
            } catch (RuntimeException | IOException e) {
                problems.add(ep.key() + ": " + e.getMessage());
            }
        }
        if (config.hostCgroup() != null) {
            try {
                Path cgroup = Path.of(config.hostCgroup());
                if (!Files.exists(cgroup.resolve("cgroup.procs"))) {
                    throw new IllegalArgumentException("no cgroup v2 directory (no cgroup.procs)");
                }
                long id = PodCgroups.id(cgroup);
                for (LbMaps.Hook h : LbMaps.SOCK_HOOKS) {
                    String pin = HOST_PIN + "_" + h.program().replace("weir_", "");
                    expected.add(pin);
                    attach(pin, h, cgroup, id);
                }
            } catch (RuntimeException | IOException e) {
                problems.add("the host (" + config.hostCgroup() + "): " + e.getMessage());
            }
        }
        links.detachExcept(expected);
        if (firstApply || !written.keySet().equals(pods.keySet())) {
            podsByCgroup.keys().stream().filter(k -> !pods.containsKey(k)).forEach(podsByCgroup::delete);
            written.keySet().retainAll(pods.keySet());
            firstApply = false;
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("socket LB not attached for " + String.join("; ", problems));
        }
        return fresh;
    }

    private boolean attach(String name, LbMaps.Hook hook, Path cgroup, long cgroupId) {
        return links.attach(name, obj.program(hook.program()), hook.attachType(), cgroup, cgroupId);
    }

    /** bpffs refuses names with a dot, so a pod name's dots become underscores. */
    static String pinName(Endpoint ep, LbMaps.Hook hook) {
        return (ep.namespace() + "_" + ep.name()).replace('.', '_') + "_" + hook.program().replace("weir_", "");
    }
}
