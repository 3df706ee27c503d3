package dev.weir.agent.runtime;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.cluster.Endpoint;
import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.service.BackendOverrides;
import dev.weir.agent.service.BackendState;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;

/**
 * The agent's request/response methods (docs/agent.md): {@code ping}, {@code status}, {@code endpoint.list},
 * {@code identity.list}, {@code policy.get}, {@code apply}, {@code ct.list}. Answers from the sync loop's
 * last applied state, so what it shows is what the dataplane enforces. Thread-safe.
 */
public final class AgentApi {

    private static final ObjectMapper M = ApiProtocol.mapper();
    /** Commit outcomes whose objects the computation parses (and takes the apply's parse of). */
    private static final java.util.Set<String> TAKEN = java.util.Set.of("created", "configured");

    private final String node;
    private final Instant startedAt = Instant.now();
    private final Store store;
    private final StateCompiler<?> compiler;
    private final Supplier<SyncState> sync;
    private final Runnable poke;
    private final FlowHistory flows;
    private final ConntrackReader conntrack;
    private final String dataplane;
    private final Supplier<Map<String, String>> dataplaneDetails;

    private final EntryCounters counters;
    private final ClusterDirectory cluster;

    public AgentApi(String node, Store store, StateCompiler<?> compiler, Supplier<SyncState> sync, Runnable poke,
                    FlowHistory flows, ConntrackReader conntrack, String dataplane) {
        this(node, store, compiler, sync, poke, flows, conntrack, dataplane, EntryCounters.NONE);
    }

    public AgentApi(String node, Store store, StateCompiler<?> compiler, Supplier<SyncState> sync, Runnable poke,
                    FlowHistory flows, ConntrackReader conntrack, String dataplane, EntryCounters counters) {
        this(node, store, compiler, sync, poke, flows, conntrack, dataplane, counters, Map::of);
    }

    /** @param dataplaneDetails what status adds about the dataplane ({@link Dataplane#details()}) */
    public AgentApi(String node, Store store, StateCompiler<?> compiler, Supplier<SyncState> sync, Runnable poke,
                    FlowHistory flows, ConntrackReader conntrack, String dataplane, EntryCounters counters,
                    Supplier<Map<String, String>> dataplaneDetails) {
        this(node, store, compiler, sync, poke, flows, conntrack, dataplane, counters, dataplaneDetails, ClusterDirectory.FILE);
    }

    /** @param cluster the other nodes' records ({@code cluster.nodes}), and the kvstore's health for status */
    public AgentApi(String node, Store store, StateCompiler<?> compiler, Supplier<SyncState> sync, Runnable poke,
                    FlowHistory flows, ConntrackReader conntrack, String dataplane, EntryCounters counters,
                    Supplier<Map<String, String>> dataplaneDetails, ClusterDirectory cluster) {
        this.cluster = cluster;
        this.dataplaneDetails = dataplaneDetails;
        this.counters = counters;
        this.node = node;
        this.store = store;
        this.compiler = compiler;
        this.sync = sync;
        this.poke = poke;
        this.flows = flows;
        this.conntrack = conntrack;
        this.dataplane = dataplane;
    }

    public Map<String, ApiHandler> handlers() {
        Map<String, ApiHandler> h = new HashMap<>();
        h.put("ping", p -> ping());
        h.put("status", p -> status());
        h.put("endpoint.list", p -> endpoints(p != null && p.path("all").asBoolean(), p != null && p.path("hosts").asBoolean()));
        h.put("identity.list", p -> M.valueToTree(sync.get().view().identities()));
        h.put("policy.get", this::policyGet);
        h.put("apply", this::apply);
        h.put("ct.list", p -> ctList());
        h.put("service.backend", this::backendState);
        h.put("cluster.nodes", p -> clusterNodes());
        h.put("service.list", p -> serviceList());
        return h;
    }

    /** {@code {"kvstore": {...}, "nodes": [NodeRecord...]}}: every node's record (none with the file store). */
    private JsonNode clusterNodes() {
        ObjectNode o = M.createObjectNode();
        o.set("kvstore", M.valueToTree(cluster.health()));
        o.set("nodes", M.valueToTree(List.copyOf(cluster.nodes().values())));
        return o;
    }

    /** {@code {"node", "revision", "rows": [...], "pending": [...], "warnings": [...]}}: the services as enforced. */
    private JsonNode serviceList() {
        SyncState s = sync.get();
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("revision", s.appliedRevision());
        StateView.Services services = s.view().services();
        o.set("rows", M.valueToTree(services.rows()));
        o.set("pending", M.valueToTree(services.pending()));
        o.set("warnings", M.valueToTree(services.warnings()));
        return o;
    }

    /**
     * The node, the pid, and where its sync stands ({@code appliedRevision}, {@code syncError}, {@code failedRevision},
     * as in {@code status}): what a waiting {@code weir apply} asks every few milliseconds. {@code status} lists the
     * store and reads the process's memory and CPU, which took CPU from the computation being waited for.
     */
    private JsonNode ping() {
        SyncState s = sync.get();
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("pid", ProcessHandle.current().pid());
        o.put("appliedRevision", s.appliedRevision());
        o.put("syncError", s.error());
        o.put("failedRevision", s.failedRevision());
        return o;
    }

    private JsonNode status() {
        SyncState s = sync.get();
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("pid", ProcessHandle.current().pid());
        o.put("startedAt", startedAt.toString());
        o.put("storeRevision", store.revision());
        o.put("appliedRevision", s.appliedRevision());
        o.put("appliedAt", s.appliedAt() == null ? null : s.appliedAt().toString());
        o.put("syncError", s.error());
        o.put("failedRevision", s.failedRevision());
        List<Endpoint> local = s.cluster().endpointsOn(node);
        o.put("endpoints", local.size());
        o.put("identities", s.view().identities().size());
        o.put("policyEntries", local.stream().mapToInt(e -> entries(s, e).size()).sum());
        o.put("policies", store.list().stream().filter(x -> PolicyParser.KINDS.contains(x.key().kind())).count());
        o.set("warnings", M.valueToTree(s.view().warnings()));
        o.set("flows", M.valueToTree(flows.counters()));
        o.put("dataplane", dataplane);
        o.set("kvstore", M.valueToTree(cluster.health()));
        o.set("memory", M.valueToTree(MemoryUse.now()));
        o.put("cpuSeconds", ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(-1.0));
        dataplaneDetails.get().forEach(o::put);
        return o;
    }

    private static List<StateView.Entry> entries(SyncState s, Endpoint e) {
        StateView.EndpointPolicy p = s.view().endpoints().get(e.id());
        return p == null ? List.of() : p.entries();
    }

    /**
     * This node's endpoints, or with {@code all} every node's (the others' as this agent knows them from the
     * kvstore, with the identity and policy this agent computes for them, which their own node computes alike);
     * with {@code hosts}, each node's host endpoint after them.
     */
    private JsonNode endpoints(boolean all, boolean hosts) {
        SyncState s = sync.get();
        ArrayNode a = M.createArrayNode();
        for (Endpoint e : all ? s.cluster().endpoints() : s.cluster().endpointsOn(node)) {
            ObjectNode o = M.valueToTree(e);
            StateView.EndpointPolicy p = s.view().endpoints().get(e.id());
            o.put("identity", p == null ? 0 : p.identity());
            o.put("ingressEnforced", p != null && p.ingressEnforced());
            o.put("egressEnforced", p != null && p.egressEnforced());
            o.put("ingressAudit", p != null && p.ingressAudit());
            o.put("egressAudit", p != null && p.egressAudit());
            o.put("entries", p == null ? 0 : p.entries().size());
            a.add(o);
        }
        for (dev.weir.agent.cluster.Node n : hosts ? s.cluster().nodes() : List.<dev.weir.agent.cluster.Node>of()) {
            if (all || n.name().equals(node)) {
                a.add(hostEndpoint(n));
            }
        }
        return a;
    }

    /**
     * A node's host endpoint, as Cilium lists it: what runs in the node's own network namespace (its processes and
     * host-network pods, which share the node's addresses) is the host identity on the node and remote-node on the
     * others; no policy selects it by pod labels and no weir program is on its interfaces.
     */
    private static ObjectNode hostEndpoint(dev.weir.agent.cluster.Node n) {
        ObjectNode o = M.createObjectNode();
        o.put("id", 0);
        o.put("host", true);
        o.put("namespace", "");
        o.put("name", "");
        o.put("node", n.name());
        if (n.ipv4() != null) {
            o.put("ipv4", n.ipv4());
        }
        if (n.ipv6() != null) {
            o.put("ipv6", n.ipv6());
        }
        o.putObject("labels").put("reserved:host", "");
        o.put("identity", dev.weir.agent.identity.Identities.HOST);
        o.put("ingressEnforced", false);
        o.put("egressEnforced", false);
        o.put("ingressAudit", false);
        o.put("egressAudit", false);
        o.put("entries", 0);
        return o;
    }

    private JsonNode policyGet(JsonNode params) {
        String namespace = params.path("namespace").asText("");
        String name = params.path("name").asText("");
        SyncState s = sync.get();
        Endpoint e = s.cluster().endpoint(namespace, name).orElseThrow(() -> new ApiException(ApiException.INVALID,
                "no pod " + namespace + "/" + name + " in the cluster"));
        if (!e.node().equals(node)) {
            throw new ApiException(ApiException.INVALID, "pod " + e.key() + " runs on " + e.node() + ", not " + node);
        }
        StateView.EndpointPolicy p = s.view().endpoints().get(e.id());
        ObjectNode o = M.createObjectNode();
        o.set("endpoint", M.valueToTree(e));
        o.put("node", node);
        o.put("revision", s.appliedRevision());
        o.put("identity", p == null ? 0 : p.identity());
        o.put("ingressEnforced", p != null && p.ingressEnforced());
        o.put("egressEnforced", p != null && p.egressEnforced());
        o.put("ingressAudit", p != null && p.ingressAudit());
        o.put("egressAudit", p != null && p.egressAudit());
        ArrayNode entries = o.putArray("entries");
        for (StateView.Entry en : p == null ? List.<StateView.Entry>of() : p.entries()) {
            ObjectNode j = M.valueToTree(en);
            j.set("peerLabels", M.valueToTree(en.peerIdentity() == 0 ? Map.of() : s.view().labelsOf(en.peerIdentity())));
            s.view().rule(en.rule()).ifPresent(r -> j.set("policy", M.valueToTree(r)));
            long[] c = counters.counters(e.id(), en);
            if (c != null) {
                j.put("packets", c[0]);
                j.put("bytes", c[1]);
            }
            entries.add(j);
        }
        return o;
    }

    /**
     * {@code {"files": [{"source": "a.yaml", "text": "..."}], "delete": false}}: parses every file, then
     * commits every object at once; nothing is written when one of them is invalid.
     */
    private JsonNode apply(JsonNode params) {
        boolean delete = params.path("delete").asBoolean(false);
        boolean force = params.path("force").asBoolean(false);
        long t0 = System.nanoTime();
        ApplyFiles files = ApplyFiles.parse(compiler, params);
        Map<ObjectKey, String> sources = files.sources();
        List<Change> changes = files.objects().stream().map(o -> delete ? (Change) new Change.Delete(o.key())
                : new Change.Put(o.key(), o.document(), sources.get(o.key()))).toList();
        long parsed = System.nanoTime();
        long[] checked = new long[1];
        CommitResult r = null;
        try {
            r = store.commit(changes, (before, after) -> {
                long c0 = System.nanoTime();
                try {
                    compiler.check(node, sync.get().cluster(), before, after, force);
                } finally {
                    checked[0] += System.nanoTime() - c0;
                }
            });
        } catch (PolicyInputException e) {
            throw new ApiException(ApiException.INVALID, e.getMessage() + " (nothing was " + (delete ? "deleted" : "applied") + ")", e);
        } catch (IllegalArgumentException e) {
            ObjectKey missing = changes.stream().map(Change::key).filter(k -> e.getMessage().startsWith(k.toString()))
                    .findFirst().orElse(null);
            String where = missing == null ? "" : sources.get(missing) + ": ";
            throw new ApiException(ApiException.INVALID, where + e.getMessage() + " (nothing was deleted)");
        } finally {
            // the computation takes the parses of what the commit created or changed; the others would stay
            Map<ObjectKey, String> outcomes = r == null ? Map.of() : r.outcomes();
            files.forget(compiler, k -> !TAKEN.contains(outcomes.getOrDefault(k, "")));
        }
        long committed = System.nanoTime();
        poke.run();
        ObjectNode o = M.createObjectNode();
        o.put("revision", r.revision());
        o.put("changed", r.changed());
        o.putObject("timings").put("parseMs", (parsed - t0) / 1e6).put("checkMs", checked[0] / 1e6)
                .put("commitMs", (committed - parsed - checked[0]) / 1e6);
        ArrayNode outcomes = o.putArray("objects");
        r.outcomes().forEach((k, v) -> outcomes.addObject().put("object", k.toString()).put("source", sources.get(k))
                .put("outcome", v));
        return o;
    }

    /**
     * {@code {"backend": "10.244.1.10:80", "protocol": "TCP", "state": "quarantined|maintenance|active"}}:
     * stores (or, for active, removes) the backend's override, which every node's service engine applies.
     */
    private JsonNode backendState(JsonNode params) {
        String key;
        BackendState state;
        try {
            key = BackendOverrides.parseKey(params.path("backend").asText(""), params.path("protocol").asText("TCP"));
            state = BackendState.valueOf(params.path("state").asText("").toUpperCase(java.util.Locale.ROOT));
            if (state == BackendState.TERMINATING || state == BackendState.SERVING_TERMINATING) {
                throw new IllegalArgumentException("terminating comes from the EndpointSlices, not from an operator");
            }
        } catch (IllegalArgumentException e) {
            throw new ApiException(ApiException.INVALID, e.getMessage(), e);
        }
        ObjectKey k = new ObjectKey(BackendOverrides.KIND, "", key);
        CommitResult r;
        if (state == BackendState.ACTIVE) {
            r = store.get(k).isEmpty() ? new CommitResult(store.revision(), Map.of(k, "unchanged"))
                    : store.commit(List.of(new Change.Delete(k)));
        } else {
            r = store.commit(List.of(new Change.Put(k, BackendOverrides.document(key, state), "weir service backend")));
        }
        poke.run();
        ObjectNode o = M.createObjectNode();
        o.put("backend", key);
        o.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
        o.put("revision", r.revision());
        o.put("changed", r.changed());
        return o;
    }

    private JsonNode ctList() {
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("capacity", conntrack.capacity());
        o.set("entries", M.valueToTree(conntrack.entries()));
        return o;
    }
}
