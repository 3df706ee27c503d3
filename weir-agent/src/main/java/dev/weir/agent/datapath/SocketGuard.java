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
import dev.weir.agent.guard.GuardValues;
import dev.weir.agent.guard.WorkloadGuard;
import dev.weir.datapath.Datapath;
import dev.weir.datapath.guard.GuardMaps;
import dev.weir.datapath.guard.GuardPeerKey;
import dev.weir.datapath.guard.GuardVal;
import dev.weir.ebpf.AttachType;
import dev.weir.ebpf.BpfMap;
import dev.weir.ebpf.BpfObject;
import dev.weir.ebpf.Codec;
import dev.weir.ebpf.Features;
import dev.weir.ebpf.ObjectSpec;
import dev.weir.ebpf.Probe;

/**
 * The workload guard (docs/workload-guard.md): {@code sock_guard.o} loaded with the node's pinned
 * {@code flow_events} and {@code ipcache} reused by name (sized like {@code tc_endpoint}'s) and its
 * {@code guard_pods} and {@code guard_stats} pinned beside them. Each local pod that a {@code WeirWorkloadGuard}
 * selects gets its {@code guard_pods} entry and the eight programs ({@link GuardMaps#HOOKS}) as cgroup links on its
 * own cgroup, pinned at {@code <pinDir>/guard-links/<namespace>_<pod>_<program>}; a pod no guard selects has
 * neither. Applied after {@link SocketLb} in the same sync, so a new link runs after the socket LB's on that
 * cgroup and judges the backend the socket LB chose.
 *
 * <p>Lifetime: {@link #start} once (loads; on a kernel without the hooks it stays off and says why);
 * {@link #apply} from the sync loop's thread; {@link #stop} closes the object and leaves the pinned links and
 * maps, so a restarted agent disturbs no socket. Kernel exceptions for failed loads and attaches;
 * {@link IllegalStateException} naming the pods whose cgroup could not be guarded, after every other pod.
 */
final class SocketGuard {

    static final String LINK_DIR = "guard-links";
    private static final AttachType PROBED = AttachType.CGROUP_INET6_BIND;

    private final Path pinDir;
    private final Consumer<String> log;
    private final CgroupLinks links;
    /** {@code guard_pods} as this agent wrote it (read from the map at the first apply). */
    private Map<Long, GuardVal> written;
    private BpfObject obj;
    private BpfMap<Long, GuardVal> pods;
    private BpfMap<GuardPeerKey, Integer> peerMap;
    /** {@code guard_peers} as this agent wrote it (read from the map at the first apply). */
    private Set<GuardPeerKey> writtenPeers;
    private String state = "not started";

    SocketGuard(Path pinDir, Consumer<String> log) {
        this.pinDir = pinDir;
        this.log = log;
        this.links = new CgroupLinks(pinDir.resolve(LINK_DIR));
    }

    void start(BpfObject tcEndpoint) throws IOException {
        Files.createDirectories(links.dir());
        Probe probe = Features.cgroupSockAddr(PROBED);
        if (!probe.isSupported()) {
            state = "off (" + probe.reason() + ")";
            int n = links.detachExcept(Set.of());
            log.accept("dataplane: workload guard off: " + probe.reason() + (n > 0 ? "; detached " + n + " links" : ""));
            return;
        }
        dropOlderLayout();
        ObjectSpec spec = ObjectSpec.read(GuardMaps.OBJECT, Datapath.object(GuardMaps.OBJECT));
        Set<String> pinned = new HashSet<>(GuardMaps.FROM_ENDPOINT);
        pinned.add(GuardMaps.PODS);
        pinned.add(GuardMaps.STATS);
        pinned.add(GuardMaps.BIND0);
        pinned.add(GuardMaps.PEERS);
        obj = BpfObject.load(spec, SocketLb.sharing(pinDir, pinned, tcEndpoint, GuardMaps.FROM_ENDPOINT).build());
        pods = obj.map(GuardMaps.PODS, Codec.u64(), GuardVal.CODEC);
        peerMap = obj.map(GuardMaps.PEERS, GuardPeerKey.CODEC, Codec.u8());
        state = "on";
    }

    /**
     * A {@code guard_pods} pinned by an agent whose value had another layout (before guards were merged) cannot
     * be reused: its links are detached and the pin removed, and this start's first sync guards the pods again.
     */
    private void dropOlderLayout() {
        Path pin = pinDir.resolve(GuardMaps.PODS);
        if (!Files.exists(pin)) {
            return;
        }
        try (BpfMap<Long, GuardVal> old = BpfMap.fromPin(pin, Codec.u64(), GuardVal.CODEC)) {
            return;
        } catch (IllegalArgumentException e) {
            int n = links.detachExcept(Set.of());
            KernelPolicyDataplane.unpin(pin);
            log.accept("dataplane: workload guard: " + pin + " has an older layout (" + e.getMessage()
                    + "); removed it and detached " + n + " links, the next sync guards the pods again");
        }
    }

    /** What {@code weir status} shows: {@code on}, or {@code off (why)}. */
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
     * Guards every local pod that a guard selects (its entry and links), and no other. The identities of the
     * {@code toEndpoints} rules are written first and those no rule selects any more removed last, so that no
     * entry names a rule whose identities are not there yet.
     *
     * @param peers  {@code guard_peers} as it should be ({@link GuardValues#peers})
     * @param behind the cgroups where the socket LB attached a link in this sync: the guard's links there are
     *               attached again, so that they run after it (on the backend it chose)
     */
    void apply(List<Endpoint> local, List<WorkloadGuard> guards, Set<GuardPeerKey> peers, Set<Long> behind) {
        if (obj == null) {
            return;
        }
        if (written == null) {
            written = new HashMap<>(pods.entries());
            writtenPeers = new HashSet<>(peerMap.keys());
        }
        for (GuardPeerKey k : peers) {
            if (writtenPeers.add(k)) {
                peerMap.put(k, 1);
            }
        }
        Set<String> expected = new HashSet<>();
        Map<Long, GuardVal> want = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (Endpoint ep : local) {
            List<Integer> places = GuardValues.guardsOf(guards, ep);
            if (ep.cgroup() == null || places.isEmpty()) {
                continue;
            }
            try {
                GuardValues.PodGuards merged = GuardValues.value(guards, places, ep.id());
                if (!merged.leftOut().isEmpty()) {
                    problems.add(ep.key() + ": too many guards, rules or bind ranges together; not applied: "
                            + String.join(", ", merged.leftOut()));
                }
                guard(ep, merged.value(), behind, want, expected);
            } catch (RuntimeException | IOException e) {
                problems.add(ep.key() + ": " + e.getMessage());
            }
        }
        int detached = links.detachExcept(expected);
        removeStale(want, peers);
        if (detached > 0) {
            log.accept("dataplane: workload guard: detached " + detached + " links of pods no guard selects");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("workload guard not attached for " + String.join("; ", problems));
        }
    }

    /** Writes the pod's entry (when it changed) and attaches its links; notes both in {@code want} and {@code expected}. */
    private void guard(Endpoint ep, GuardVal v, Set<Long> behind, Map<Long, GuardVal> want, Set<String> expected)
            throws IOException {
        Path cgroup = PodCgroups.check(Path.of(ep.cgroup()));
        long id = PodCgroups.id(cgroup);
        want.put(id, v);
        if (!v.equals(written.get(id))) {
            pods.put(id, v);
            written.put(id, v);
        }
        for (GuardMaps.Hook h : GuardMaps.HOOKS) {
            String pin = (ep.namespace() + "_" + ep.name()).replace('.', '_') + "_" + h.program().replace("weir_guard_", "");
            expected.add(pin);
            if (behind.contains(id)) {
                links.reattach(pin, obj.program(h.program()), h.attachType(), cgroup, id);
            } else {
                links.attach(pin, obj.program(h.program()), h.attachType(), cgroup, id);
            }
        }
    }

    /** Deletes the entries of pods no guard selects any more, then the identities no rule selects. */
    private void removeStale(Map<Long, GuardVal> want, Set<GuardPeerKey> peers) {
        for (Long id : new ArrayList<>(written.keySet())) {
            if (!want.containsKey(id)) {
                pods.delete(id);
                written.remove(id);
            }
        }
        for (GuardPeerKey k : new ArrayList<>(writtenPeers)) {
            if (!peers.contains(k)) {
                peerMap.delete(k);
                writtenPeers.remove(k);
            }
        }
    }
}
