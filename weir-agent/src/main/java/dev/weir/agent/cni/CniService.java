package dev.weir.agent.cni;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.endpoint.EndpointIds;
import dev.weir.agent.runtime.Dataplane;
import dev.weir.agent.runtime.SyncState;

/**
 * The CNI commands, done by the agent for weir-cni: ADD wires the pod's veth, gives it addresses, registers the
 * endpoint and answers only when the sync loop has put the endpoint's policy in force (no window in which a new
 * pod talks unpoliced); DEL undoes that and succeeds when there is nothing to undo; CHECK compares what is with
 * what ADD did. Attachments are changed one at a time; the waits for the sync loop run side by side, so pods
 * added together share syncs. Thread-safe.
 */
public final class CniService {

    /** Who the service talks to: the agent's sync loop, its dataplane (MTU, programs) and its endpoint ids. */
    public record Parts(String node, CniEndpoints endpoints, Ipam ipam, PodLink links, EndpointIds ids,
                        Supplier<SyncState> state, Runnable poke, Duration enforceTimeout, Dataplane<?> dataplane) {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Where an ADD's pieces that need not wait for each other run. */
    private static final java.util.concurrent.Executor SIDE = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    private final Parts parts;
    private final Consumer<String> log;
    private final Object changes = new Object();
    private final Object synced = new Object();
    /** ADDs in progress, by {@code containerId/ifName}; guarded by {@link #changes}. */
    private final java.util.Map<String, Reservation> reserved = new java.util.HashMap<>();

    /** GRO on the pods' side of their veths (the prefilter's redirect stage is on); see {@link #podGro(boolean)}. */
    private volatile boolean podGro;

    public CniService(Parts parts, Consumer<String> log) {
        this.parts = parts;
        this.log = log;
    }

    /**
     * Whether pods get GRO on their side of the veth ({@link PodLink#podGro}), which the prefilter's redirect stage
     * needs: on, every attached pod gets it now (once, when it turns on) and every pod added later at ADD. Off, new
     * pods keep the kernel's default; pods that have it keep it (harmless). Failures are logged, not thrown: a pod
     * without GRO only loses redirected frames, which the redirect stage's docs name.
     */
    public void podGro(boolean on) {
        if (on && !podGro) {
            for (Attachment a : parts.endpoints().all()) {
                try {
                    parts.links().podGro(a.netns(), a.ifName());
                } catch (CniException e) {
                    log.accept("cni: GRO on " + a.podKey() + "'s " + a.ifName() + ": " + e.getMessage());
                }
            }
            log.accept("cni: GRO on for the pods' interfaces (the prefilter's redirect stage is on)");
        }
        podGro = on;
    }

    /** The sync loop calls this with every new state, waking the ADDs that wait for it. */
    public void synced(SyncState s) {
        synchronized (synced) {
            synced.notifyAll();
        }
    }

    /** Runs one command; returns the result JSON to print (empty for DEL). */
    public String handle(CniRequest r) {
        return switch (r.command()) {
            case "ADD" -> add(r);
            case "DEL" -> {
                del(r);
                yield "";
            }
            case "CHECK" -> {
                check(r);
                yield "";
            }
            default -> throw new CniException(CniException.INVALID_ENVIRONMENT, "unknown CNI_COMMAND", r.command());
        };
    }

    /** Addresses and a host-side name held for an ADD in progress, so that ADDs side by side take different ones. */
    private record Reservation(List<String> addresses, String host) {
    }

    String add(CniRequest r) {
        Optional<Attachment> existing;
        String namespace = r.namesPod() ? r.podNamespace() : "default";
        String name = r.namesPod() ? r.podName() : "container-" + r.containerId().substring(0, Math.min(12, r.containerId().length()));
        String key = r.containerId() + "/" + r.ifName();
        Reservation held;
        synchronized (changes) {
            existing = parts.endpoints().find(r.containerId(), r.ifName());
            if (existing.isEmpty()) {
                if (reserved.containsKey(key)) {
                    throw new CniException(CniException.TRY_AGAIN_LATER, "an ADD of container " + r.containerId()
                            + " interface " + r.ifName() + " is in progress", "");
                }
                for (Attachment other : parts.endpoints().all()) {
                    if (other.namespace().equals(namespace) && other.name().equals(name)) {
                        throw new CniException(CniException.TRY_AGAIN_LATER, "pod " + namespace + "/" + name + " is attached to"
                                + " container " + other.containerId() + " on this node: DEL that one first", "");
                    }
                }
                Set<String> inUse = new HashSet<>();
                Set<String> names = new HashSet<>();
                parts.endpoints().all().forEach(o -> {
                    inUse.addAll(o.addresses());
                    names.add(o.hostInterface());
                });
                reserved.values().forEach(v -> {
                    inUse.addAll(v.addresses());
                    names.add(v.host());
                });
                // a delegated plugin allocates on its own (outside this lock, below)
                List<String> addresses = r.ipam() == null ? parts.ipam().allocate(r, inUse) : List.of();
                String host = PodLink.hostName(r);
                if (names.contains(host)) {
                    host = PodLink.byContainer(r);
                }
                held = new Reservation(addresses, host);
                reserved.put(key, held);
            } else {
                held = null;
            }
        }
        if (existing.isPresent()) {
            // a runtime retrying an ADD it lost the answer of: the same attachment, once in force
            awaitEnforced(existing.get(), r, 0);
            return result(existing.get(), r);
        }
        // the slow part (the IDs' store, netlink, a delegated plugin) runs beside other ADDs, and its pieces that
        // need not wait for each other side by side: the id, and the pod side beside the programs on the host side
        Attachment a;
        long needSyncs;
        Steps steps = new Steps();
        CompletableFuture<Integer> id = CompletableFuture.supplyAsync(() -> steps.aside("id", () -> parts.ids().idOf(namespace, name)), SIDE);
        CompletableFuture<Dataplane.Readied> readied = null;
        try {
            List<String> addresses = r.ipam() == null ? held.addresses() : parts.ipam().allocate(r, Set.of());
            Integer mtu = r.mtu() != null ? r.mtu() : parts.dataplane().podMtu();
            parts.links().createHostSide(held.host(), r.netns(), r.ifName(), addresses, mtu);
            steps.done("host side");
            readied = CompletableFuture.supplyAsync(() -> steps.aside("programs",
                    () -> parts.dataplane().ready(parts.links().nodeNetns(), held.host())), SIDE);
            parts.links().wirePodSide(held.host(), r.netns(), r.ifName(), addresses);
            if (podGro) {
                parts.links().podGro(r.netns(), r.ifName());
            }
            steps.done("pod side");
            a = new Attachment(r.containerId(), r.ifName(), r.netns(), join(id), namespace, name, r.labels(),
                    addresses.stream().filter(x -> !x.contains(":")).findFirst().orElse(null),
                    addresses.stream().filter(x -> x.contains(":")).findFirst().orElse(null), held.host(),
                    r.cgroupPath() == null ? null : dev.weir.agent.datapath.PodCgroups.resolve(r.cgroupPath()), mtu,
                    r.ipam() == null ? null : r.ipam().path("type").asText(), Instant.now().toString());
            join(readied);
            steps.done("waiting for them");
            long staged;
            synchronized (changes) {
                // the same endpoint may still be in force from an attachment that went before this one: then only a
                // sync that started after this one was recorded counts (the second from now). Asked before staging:
                // once staged, a sync another ADD started may show this very attachment, and if this ADD then waited
                // for two more syncs, the last ADD of a burst would wait in vain (nothing changes after it)
                needSyncs = present(a) ? parts.state().get().syncs() + 2 : 0;
                staged = parts.endpoints().stage(a);
                reserved.remove(key);
            }
            parts.endpoints().persist(staged, a); // ADDs side by side share the file's writes
            steps.done("attachments file");
        } catch (RuntimeException e) {
            synchronized (changes) {
                reserved.remove(key);
            }
            id.handle((x, t) -> null).join(); // nothing of this ADD runs on once it has failed
            Dataplane.Readied programs = readied == null ? null : readied.handle((x, t) -> x).join();
            if (programs != null) {
                programs.close(); // the programs go with the interface
            }
            undo(held.host(), r);
            throw e instanceof CniException c ? c
                    : new CniException(CniException.TRY_AGAIN_LATER, "cannot attach the pod: " + e.getMessage(), "");
        }
        log.accept("cni: ADD " + a.podKey() + " (container " + r.containerId() + ", " + a.hostInterface() + ", "
                + String.join(" ", a.addresses()) + ")");
        parts.poke().run();
        try (Dataplane.Readied programs = readied.join()) {
            awaitEnforced(a, r, needSyncs);
            steps.done("sync");
            log.accept("cni: ADD " + a.podKey() + " in force after " + steps);
        } catch (CniException e) {
            synchronized (changes) {
                parts.endpoints().remove(a);
            }
            undo(a.hostInterface(), r);
            parts.poke().run();
            throw e;
        }
        return result(a, r);
    }

    void del(CniRequest r) {
        Optional<Attachment> a;
        synchronized (changes) {
            a = parts.endpoints().find(r.containerId(), r.ifName());
        }
        // DEL is idempotent: with nothing attached, a delegated plugin's addresses still go back (an ADD failed half-way).
        // The endpoint leaves the dataplane before its interface goes (as Cilium's endpoint delete does): a sync
        // never meets an endpoint whose interface is gone
        if (a.isPresent()) {
            synchronized (changes) {
                parts.endpoints().remove(a.get());
            }
            log.accept("cni: DEL " + a.get().podKey() + " (container " + r.containerId() + ")");
            parts.poke().run();
            awaitGone(a.get());
            try {
                parts.links().delete(a.get().hostInterface());
            } catch (CniException e) {
                synchronized (changes) {
                    parts.endpoints().add(a.get()); // still wired: policed again until a DEL that can remove it
                }
                parts.poke().run();
                throw e;
            }
        }
        parts.ipam().release(r);
    }

    /**
     * Waits until the dataplane no longer has the endpoint (a pod added again right after would otherwise look like
     * the one the sync loop already enforces, and its new interface would go unprogrammed). Gives up quietly after
     * the timeout: the sync loop removes it when it can, and DEL must succeed.
     */
    private void awaitGone(Attachment a) {
        long deadline = System.nanoTime() + parts.enforceTimeout().toNanos();
        synchronized (synced) {
            while (enforced(parts.state().get(), a) || parts.state().get().error() != null && present(a)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    log.accept("cni: " + a.podKey() + " is still in the dataplane " + parts.enforceTimeout().toSeconds() + " s after DEL");
                    return;
                }
                try {
                    synced.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private boolean present(Attachment a) {
        return parts.state().get().cluster().endpointsOn(parts.node()).stream()
                .anyMatch(e -> e.id() == a.id() && a.hostInterface().equals(e.iface()));
    }

    void check(CniRequest r) {
        Attachment a = parts.endpoints().find(r.containerId(), r.ifName()).orElseThrow(() -> new CniException(
                CniException.UNKNOWN_CONTAINER, "weir has no attachment for container " + r.containerId() + " interface "
                + r.ifName(), ""));
        if (!parts.links().exists(a.hostInterface())) {
            throw new CniException(CniException.IO_FAILURE, "the host side " + a.hostInterface() + " of " + a.podKey()
                    + " is gone", "");
        }
        Set<String> present = parts.links().podAddresses(r.netns(), r.ifName());
        for (String address : a.addresses()) {
            if (!present.contains(address)) {
                throw new CniException(CniException.IO_FAILURE, a.podKey() + " lacks its address " + address + " on "
                        + r.ifName(), "present: " + present);
            }
        }
        if (r.prevResult() != null) {
            for (JsonNode ip : r.prevResult().path("ips")) {
                String text = ip.path("address").asText();
                String address = text.contains("/") ? text.substring(0, text.indexOf('/')) : text;
                if (!a.addresses().contains(dev.weir.agent.service.IpAddress.parse(address).toString())) {
                    throw new CniException(CniException.IO_FAILURE, "prevResult names " + text + ", which weir did not give "
                            + a.podKey(), "");
                }
            }
        }
        if (!enforced(parts.state().get(), a)) {
            throw new CniException(CniException.TRY_AGAIN_LATER, "the policy of " + a.podKey() + " is not in force", "");
        }
        parts.ipam().check(r);
    }

    /** Waits until the dataplane enforces a sync that includes the endpoint (and, when not 0, the sync count reached that). */
    private void awaitEnforced(Attachment a, CniRequest r, long syncs) {
        long deadline = System.nanoTime() + parts.enforceTimeout().toNanos();
        synchronized (synced) {
            while (!enforced(parts.state().get(), a) || parts.state().get().syncs() < syncs) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    SyncState s = parts.state().get();
                    throw new CniException(CniException.TRY_AGAIN_LATER, "the policy of " + a.podKey() + " is not in force after "
                            + parts.enforceTimeout().toSeconds() + " s" + (s.error() == null ? "" : ": " + s.error()), "");
                }
                try {
                    synced.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CniException(CniException.TRY_AGAIN_LATER, "interrupted while waiting for " + a.podKey(), "");
                }
            }
        }
    }

    private boolean enforced(SyncState s, Attachment a) {
        if (s.error() != null) {
            return false;
        }
        for (Endpoint e : s.cluster().endpointsOn(parts.node())) {
            if (e.id() == a.id() && a.hostInterface().equals(e.iface())) {
                return true;
            }
        }
        return false;
    }

    /**
     * How long an ADD's steps took, for its log line: {@code 61 ms (host side 7 ms, pod side 12 ms, ...; aside: id 5 ms,
     * programs 9 ms)}. The steps in turn from the ADD's thread, those beside them from any.
     */
    private static final class Steps {
        private final long start = System.nanoTime();
        private long last = start;
        private final StringBuilder done = new StringBuilder();
        private final java.util.Queue<String> aside = new java.util.concurrent.ConcurrentLinkedQueue<>();

        <T> T aside(String step, Supplier<T> work) {
            long t0 = System.nanoTime();
            try {
                return work.get();
            } finally {
                aside.add(step + " " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            }
        }

        void done(String step) {
            long now = System.nanoTime();
            done.append(done.isEmpty() ? "" : ", ").append(step).append(' ').append((now - last) / 1_000_000).append(" ms");
            last = now;
        }

        @Override
        public String toString() {
            return (last - start) / 1_000_000 + " ms (" + done + "; aside: " + String.join(", ", aside) + ")";
        }
    }

    /** The value, or the failure as thrown where it happened (a CniException stays one). */
    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException x ? x : e;
        }
    }

    private void undo(String host, CniRequest r) {
        try {
            parts.links().delete(host);
        } catch (CniException e) {
            log.accept("cni: cannot remove " + host + " after a failed ADD: " + e.getMessage());
        }
        try {
            parts.ipam().release(r);
        } catch (CniException e) {
            log.accept("cni: cannot release the addresses of container " + r.containerId() + ": " + e.getMessage());
        }
    }

    /** The spec's result for the attachment, in the version the runtime speaks. */
    String result(Attachment a, CniRequest r) {
        boolean legacy = CniRequest.compare(r.cniVersion(), "1.0.0") < 0;
        ObjectNode out = MAPPER.createObjectNode();
        out.put("cniVersion", r.cniVersion());
        ArrayNode interfaces = out.putArray("interfaces");
        ObjectNode host = interfaces.addObject().put("name", a.hostInterface());
        host.put("mac", PodLink.hostMac(a.hostInterface()));
        ObjectNode pod = interfaces.addObject().put("name", a.ifName());
        pod.put("mac", PodLink.podMac(a.hostInterface()));
        pod.put("sandbox", a.netns());
        ArrayNode ips = out.putArray("ips");
        ArrayNode routes = out.putArray("routes");
        for (String address : a.addresses()) {
            boolean v6 = address.contains(":");
            ObjectNode ip = ips.addObject();
            if (legacy) {
                ip.put("version", v6 ? "6" : "4");
            }
            ip.put("address", address + (v6 ? "/128" : "/32"));
            ip.put("gateway", v6 ? PodLink.GATEWAY6 : PodLink.GATEWAY4);
            ip.put("interface", 1);
            routes.addObject().put("dst", v6 ? "::/0" : "0.0.0.0/0").put("gw", v6 ? PodLink.GATEWAY6 : PodLink.GATEWAY4);
        }
        out.putObject("dns");
        return out.toString();
    }
}
