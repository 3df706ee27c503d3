package dev.weir.agent.datapath;

import java.io.IOException;
import java.net.InetAddress;
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
import dev.weir.datapath.Mem;
import dev.weir.datapath.endpoint.EndpointMaps;
import dev.weir.datapath.endpoint.EpInfo;
import dev.weir.datapath.sockmap.SockEp;
import dev.weir.datapath.sockmap.SockKey;
import dev.weir.datapath.sockmap.SockmapMaps;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.LoadOptions;
import dev.weir.ebpf.MapSpec;
import dev.weir.ebpf.MapType;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.Probe;
import dev.weir.ebpf.ProgramType;
import dev.weir.ebpf.SockmapLink;

/**
 * Same-node acceleration ({@code weir agent --sockmap}; docs/policy-datapath.md, "Sockmap"): {@code sockmap.o}
 * loaded with tc_endpoint's conntrack, policy, endpoint and lifetime maps reused by name (sized like the loaded
 * {@code tc_endpoint} object's), its own maps pinned beside them; {@code weir_sockops} attached to the cgroup of
 * every local pod (cgroup links pinned at {@code <pinDir>/sockmap-links/<namespace>_<pod>_sockops}),
 * {@code weir_sk_msg} to the sockhash (a sockmap link pinned at {@code <pinDir>/sockmap-links/sk_msg}), and
 * {@code sockmap_ep} written with the local pods' addresses.
 *
 * <p>Lifetime: {@link #start} once (loads, or when off removes every link and map a previous agent left);
 * {@link #apply} from the sync loop's thread, after the policy datapath's (it reads {@code ep_by_ifindex});
 * {@link #stop} closes the object and leaves the pins, so a restarted agent disturbs no socket. Throws
 * {@link IllegalStateException} when on and the kernel lacks sockmap, kernel exceptions for failed loads and
 * attaches.
 */
final class Sockmap {

    /** Where the links are pinned, under the node's pin directory. */
    static final String LINK_DIR = "sockmap-links";
    /** The pin name of the sk_msg link in {@link #LINK_DIR}. */
    static final String MSG_PIN = "sk_msg";

    /**
     * @param pinDir  {@code /sys/fs/bpf/weir/<node>}
     * @param enabled {@code --sockmap}
     */
    record Config(Path pinDir, boolean enabled) {
    }

    private final Config config;
    private final Consumer<String> log;
    private final CgroupLinks links;
    /** {@code sockmap_ep} as this agent wrote it (read from the map at the first apply). */
    private Map<String, SockEp> written;
    private BpfObject obj;
    private BpfMap<byte[], SockEp> byAddress;
    private BpfMap<Integer, EpInfo> endpoints;
    private String state = "not started";

    Sockmap(Config config, Consumer<String> log) {
        this.config = config;
        this.log = log;
        this.links = new CgroupLinks(config.pinDir().resolve(LINK_DIR));
    }

    /** Loads {@code sockmap.o} reusing the maps of {@code tcEndpoint}, or when off removes whatever an earlier agent left. */
    void start(BpfObject tcEndpoint) throws IOException {
        if (!config.enabled()) {
            state = "off";
            int n = removeAll();
            if (n > 0) {
                log.accept("dataplane: sockmap off; removed " + n + " links and maps an earlier agent left");
            }
            return;
        }
        for (Probe p : List.of(Features.programType(ProgramType.SOCK_OPS), Features.programType(ProgramType.SK_MSG),
                Features.mapType(MapType.SOCKHASH))) {
            if (!p.isSupported()) {
                throw new IllegalStateException("--sockmap, but " + p.reason());
            }
        }
        ObjectSpec spec = ObjectSpec.read(SockmapMaps.OBJECT, Datapath.object(SockmapMaps.OBJECT));
        Set<String> pinned = new HashSet<>(SockmapMaps.OWN);
        pinned.addAll(SockmapMaps.FROM_ENDPOINT);
        LoadOptions.Builder options = LoadOptions.builder().pinDirectory(config.pinDir()).pinMaps(pinned).reusePinned(true);
        for (String name : SockmapMaps.FROM_ENDPOINT) {
            MapSpec m = tcEndpoint.spec().map(name);
            options.maxEntries(name, tcEndpoint.map(name, Codec.bytes(m.keySize()), Codec.bytes(m.valueSize())).maxEntries());
        }
        obj = BpfObject.load(spec, options.build());
        byAddress = obj.map(SockmapMaps.EP, Codec.bytes(16), SockEp.CODEC);
        endpoints = obj.map(EndpointMaps.EP_BY_IFINDEX, Codec.u32(), EpInfo.CODEC);
        Path msgPin = links.dir().resolve(MSG_PIN);
        if (!Files.exists(msgPin)) {
            Files.createDirectories(links.dir());
            try (SockmapLink link = SockmapLink.attach(obj.program(SockmapMaps.SK_MSG),
                    obj.map(SockmapMaps.SOCKS, SockKey.CODEC, Codec.u64()), AttachType.SK_MSG_VERDICT)) {
                link.pin(msgPin);
            }
        }
        state = "on";
        log.accept("dataplane: sockmap loaded; TCP between local pods goes socket to socket while conntrack and policy allow it");
    }

    /** What {@code weir status} shows: {@code on}, {@code off}. */
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
     * Writes the local pods' addresses into {@code sockmap_ep}, attaches {@code weir_sockops} to the cgroup of
     * every local endpoint that has one and detaches the links of pods that are gone. Nothing when off.
     *
     * @throws IllegalStateException naming the pods whose cgroup was refused or could not be attached, after
     *                               every other pod was handled
     */
    void apply(List<Endpoint> local) {
        if (obj == null) {
            return;
        }
        writeAddresses(local);
        Set<String> expected = new HashSet<>(Set.of(MSG_PIN));
        List<String> problems = new ArrayList<>();
        for (Endpoint ep : local) {
            if (ep.cgroup() == null) {
                continue;
            }
            String pin = pinName(ep);
            expected.add(pin);
            try {
                Path cgroup = links.podCgroup(ep.cgroup());
                links.attach(pin, obj.program(SockmapMaps.SOCKOPS), AttachType.CGROUP_SOCK_OPS, cgroup, PodCgroups.id(cgroup));
            } catch (RuntimeException | IOException e) {
                problems.add(ep.key() + ": " + e.getMessage());
            }
        }
        links.detachExcept(expected);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("sockmap not attached for " + String.join("; ", problems));
        }
    }

    private void writeAddresses(List<Endpoint> local) {
        Map<Integer, Integer> ifindexById = new HashMap<>();
        endpoints.entries().forEach((ifindex, info) -> ifindexById.put(info.epId(), ifindex));
        Map<String, SockEp> want = addresses(local, ifindexById);
        if (written == null) {
            written = new HashMap<>();
            byAddress.entries().forEach((addr, v) -> written.put(Mem.text(addr), v));
        }
        for (Map.Entry<String, SockEp> e : want.entrySet()) {
            if (!e.getValue().equals(written.get(e.getKey()))) {
                byAddress.put(mapped(e.getKey()), e.getValue());
            }
        }
        for (String gone : written.keySet()) {
            if (!want.containsKey(gone)) {
                byAddress.delete(mapped(gone));
            }
        }
        written = new HashMap<>(want);
    }

    /**
     * {@code sockmap_ep}'s contents: each address of each local endpoint whose interface the policy datapath has
     * written ({@code ifindexById}: endpoint id to the ifindex of its {@code ep_by_ifindex} entry), by address
     * text (IPv4 as IPv4).
     */
    static Map<String, SockEp> addresses(List<Endpoint> local, Map<Integer, Integer> ifindexById) {
        Map<String, SockEp> out = new HashMap<>();
        for (Endpoint ep : local) {
            Integer ifindex = ifindexById.get(ep.id());
            if (ifindex == null) {
                continue;
            }
            for (String a : ep.addresses()) {
                out.put(Mem.text(mapped(a)), new SockEp(ep.id(), ifindex));
            }
        }
        return out;
    }

    private static byte[] mapped(String address) {
        return Mem.mapped(InetAddress.ofLiteral(address));
    }

    /** bpffs refuses names with a dot, so a pod name's dots become underscores. */
    static String pinName(Endpoint ep) {
        return (ep.namespace() + "_" + ep.name()).replace('.', '_') + "_sockops";
    }

    /** Unpins every link of {@link #LINK_DIR} (and removes it) and the object's own map pins; how many went. */
    private int removeAll() throws IOException {
        int n = links.detachExcept(Set.of());
        Files.deleteIfExists(links.dir());
        for (String map : SockmapMaps.OWN) {
            if (Files.deleteIfExists(config.pinDir().resolve(map))) {
                n++;
            }
        }
        return n;
    }
}
