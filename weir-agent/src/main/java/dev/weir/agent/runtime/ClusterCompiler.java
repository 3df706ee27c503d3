package dev.weir.agent.runtime;

import dev.weir.agent.yaml.ValidationException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.datapath.LbCapacity;
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.prefilter.LockoutGuard;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.service.BackendOverrides;
import dev.weir.agent.service.EndpointSlice;
import dev.weir.agent.service.InMemoryLbIdAllocator;
import dev.weir.agent.service.Service;
import dev.weir.agent.service.ServiceCatalog;
import dev.weir.agent.service.LbIdAllocator;
import dev.weir.agent.service.LbState;
import dev.weir.agent.service.ServiceConfig;
import dev.weir.agent.service.ServiceEngine;
import dev.weir.agent.service.ServiceObjects;
import dev.weir.agent.service.ServiceParser;
import dev.weir.agent.service.IncrementalServiceEngine;
import dev.weir.agent.service.LbChange;
import dev.weir.agent.store.ObjectChange;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoredObject;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * The agent's {@link StateCompiler} for everything {@code weir apply} takes: network policies go to the
 * policy engine ({@link EnginePolicyCompiler}), {@code Service} and {@code EndpointSlice} objects to the
 * service engine, {@code WeirPrefilter} objects to the node's prefilter ({@link PrefilterCompiler}),
 * {@code WeirWorkloadGuard} objects to the pods' socket guards ({@link GuardCompiler}). Each
 * document of a file is routed by its kind. Service ids are per node and stored, so
 * a restarted agent keeps the numbers its pinned maps and conntrack entries use. Thread-safe.
 */
public final class ClusterCompiler implements StateCompiler<ComputedState> {

    private static final Set<String> SERVICE_KINDS = Set.of("Service", "EndpointSlice");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final EnginePolicyCompiler policies;
    private final PolicyComputation policyComputation;
    private final PrefilterCompiler prefilters;
    private final GuardCompiler guards = new GuardCompiler();
    private List<dev.weir.agent.guard.WorkloadGuard> guarded;
    private final ServiceConfig config;
    private final ServiceParser services;
    private final LbIdAllocator ids;
    private final LbMapSizes sizes;
    /**
     * Service and EndpointSlice documents parsed by {@link #parse}, by source and text, handed over to the
     * {@link #check} of the same apply and to the {@link #compile} that takes them (which drops them: the
     * engines keep what they need).
     */
    private final Map<Parsed, ServiceObjects> parsed = new java.util.concurrent.ConcurrentHashMap<>();
    /** More changed objects than this are resolved inside one allocation batch (it reads each id table once). */
    private static final int BATCH_ABOVE = 64;
    private static final int MAX_HANDED_OVER = 200_000;
    /** A file larger than this is parsed in pieces of whole documents, in parallel. */
    private static final int PARSE_SPLIT_ABOVE = 256 * 1024;
    private static final int PARSE_PARTS = 2 * Runtime.getRuntime().availableProcessors();

    private final ServiceApplyCheck checks;
    /**
     * Held by a computation, and by the apply check while it borrows the engine ({@link #lend}); guards
     * {@link #engine}, {@link #applied}, {@link #overrides} and {@link #lastNodes}.
     */
    private final java.util.concurrent.locks.ReentrantLock computing = new java.util.concurrent.locks.ReentrantLock();
    /** How long the apply check waits for a computation to finish before it counts on an engine of its own. */
    private static final long LEND_WAIT_MILLIS = 250;
    /** The services as computed last, kept up to date per change; null before the first computation or after a failure. */
    private IncrementalServiceEngine engine;
    private Store.Snapshot applied;
    private BackendOverrides overrides = BackendOverrides.NONE;
    private List<Node> lastNodes = List.of();
    private PolicyResult policy;
    private ClusterState policyCluster;
    private NodePrefilterSpec prefilter;
    /** The node the kept computation is for (an agent computes for one; tests may ask for several). */
    private String computedFor;
    private List<Node> prefilterNodes;
    private static final int RELEASE_ABOVE = 4096;
    private static final long RELEASE_EVERY_NANOS = 30_000_000_000L;
    private long lastRelease = System.nanoTime();
    /** Numbers the computations, so that the map writer knows whether a change follows what it wrote. */
    private long version;

    public ClusterCompiler(LbIdAllocator ids) {
        this(ids, LbMapSizes.DEFAULTS);
    }

    /** @param sizes the service maps' sizes, for the capacity check of {@link #check} */
    public ClusterCompiler(LbIdAllocator ids, LbMapSizes sizes) {
        this(ids, sizes, ServiceConfig.defaults());
    }

    /**
     * @param sizes  the service maps' sizes, for the capacity check of {@link #check}
     * @param config the cluster's service ranges and pools, which Services are validated against
     */
    public ClusterCompiler(LbIdAllocator ids, LbMapSizes sizes, ServiceConfig config) {
        this(ids, sizes, config, false);
    }

    /**
     * @param allowLocalhost whether the node's host may always reach its pods ({@code weir agent --allow-localhost}):
     *                       an implicit ingress allow for the host identity on every isolated pod
     */
    public ClusterCompiler(LbIdAllocator ids, LbMapSizes sizes, ServiceConfig config, boolean allowLocalhost) {
        this(ids, sizes, config, allowLocalhost, LockoutGuard.NONE);
    }

    /** @param guard the prefilter's lockout guard ({@code weir agent --prefilter-protect}), checked by {@link #check} */
    public ClusterCompiler(LbIdAllocator ids, LbMapSizes sizes, ServiceConfig config, boolean allowLocalhost,
                           LockoutGuard guard) {
        this.prefilters = new PrefilterCompiler(guard);
        this.policies = new EnginePolicyCompiler(allowLocalhost);
        this.policyComputation = new PolicyComputation(policies);
        this.config = config;
        this.services = new ServiceParser(config);
        this.ids = ids;
        this.sizes = sizes;
        this.checks = new ServiceApplyCheck(config, sizes, this::parsedOf, this::lend);
    }

    /**
     * Service ids kept in the store's allocation tables, one numbering per node. Numbers are never
     * reused (a released key that returns gets a new number), so the range is the datapath's whole u32
     * space that Java's int reaches. A {@link LbIdAllocator#batch} holds the store's writer lock and
     * writes each table once.
     */
    public static LbIdAllocator storeIds(Store store, String node) {
        return new StoreLbIds(store, node);
    }

    /**
     * Every document of the file, read into a tree once and handed as that tree to the service or policy reader
     * by its kind (no JSON text parsed again); the service documents parsed here are kept for the {@link #check}
     * of the same apply and the computation that follows, by source and JSON text.
     */
    @Override
    public List<ParsedObject> parse(String source, String text) {
        List<String> chunks = dev.weir.agent.yaml.DocumentChunks.split(text, PARSE_PARTS, PARSE_SPLIT_ABOVE);
        if (chunks.size() > 1) {
            try {
                return chunks.parallelStream().map(c -> parseDocuments(source, c)).flatMap(List::stream).toList();
            } catch (RuntimeException e) {
                // parsed again whole, so that the error is the one a sequential parse gives (the first in the file)
            }
        }
        return parseDocuments(source, text);
    }

    private List<ParsedObject> parseDocuments(String source, String text) {
        List<ParsedObject> out = new ArrayList<>();
        for (JsonNode doc : documents(source, text)) {
            if (SERVICE_KINDS.contains(doc.path("kind").asText())) {
                out.add(parseService(source, doc));
            } else if (PrefilterCompiler.handles(doc.path("kind").asText())) {
                out.add(prefilters.parse(source, doc, out.size() + 1));
            } else if (GuardCompiler.handles(doc.path("kind").asText())) {
                out.add(guards.parse(source, doc, out.size() + 1));
            } else {
                out.add(policies.parse(source, doc));
            }
        }
        return out;
    }

    private ParsedObject parseService(String source, JsonNode doc) {
        try {
            ServiceObjects o = services.parse(doc, source);
            String json = doc.toString();
            remember(new Parsed(source, json), o);
            if (!o.services().isEmpty()) {
                var s = o.services().getFirst();
                return new ParsedObject(new ObjectKey("Service", s.namespace(), s.name()), json);
            }
            var e = o.slices().getFirst();
            return new ParsedObject(new ObjectKey("EndpointSlice", e.namespace(), e.name()), json);
        } catch (ValidationException e) {
            throw new PolicyInputException(source, "", "", e.getMessage());
        }
    }

    /**
     * Drops the hand-over of an object no computation will take: the computation removes those it takes, and an
     * object a commit left unchanged would otherwise stay (a whole file applied again kept every parse).
     */
    @Override
    public void forget(String source, ParsedObject object) {
        parsed.remove(new Parsed(source, object.document()));
    }

    /** True while the apply check keeps a service engine of its own (for tests). */
    boolean checkKeepsAnEngine() {
        synchronized (checks) {
            return checks.ownEngine();
        }
    }

    /** How many parses are handed over (for tests). */
    int handedOver() {
        return parsed.size();
    }

    /** Keeps a parse for the check and the computation; a bounded hand-over, not a cache of everything. */
    private void remember(Parsed key, ServiceObjects o) {
        if (parsed.size() > MAX_HANDED_OVER) {
            parsed.clear();
        }
        parsed.put(key, o);
    }

    /**
     * The service objects a commit would leave, checked together (a ClusterIP or NodePort taken twice, two
     * frontends alike: {@link ServiceCatalog}) and against the service maps' sizes on every node (the
     * entries {@code LbMapWriter} would need going from the stored state to the new one). Skipped when the
     * commit changes no Service or EndpointSlice.
     */
    @Override
    public void check(String node, ClusterState cluster, List<StoredObject> before, List<StoredObject> after) {
        check(node, cluster, before, after, false);
    }

    @Override
    public void check(String node, ClusterState cluster, List<StoredObject> before, List<StoredObject> after,
                      boolean force) {
        Set<String> kinds = changedKinds(before, after);
        if (kinds.stream().anyMatch(PrefilterCompiler::handles)) {
            prefilters.check(cluster.nodes(), before, after, force);
        }
        if (kinds.stream().noneMatch(SERVICE_KINDS::contains)) {
            return;
        }
        List<StoredObject> now = serviceObjects(before);
        List<StoredObject> next = serviceObjects(after);
        synchronized (checks) {
            if (checks.check(cluster.nodes(), now, next)) {
                return;
            }
        }
        fullCheck(cluster, now, next);
    }

    /** The check from every object: {@link ServiceCatalog} over all of them, every node's state resolved twice. */
    private void fullCheck(ClusterState cluster, List<StoredObject> now, List<StoredObject> next) {
        java.util.Set<StoredObject> unchanged = new java.util.HashSet<>(now);
        ServiceCatalog catalog = catalog(next, cluster.nodes(), next.stream().filter(unchanged::contains)
                .map(o -> o.key().namespace() + "/" + o.key().name()).collect(java.util.stream.Collectors.toSet()));
        if (cluster.nodes().isEmpty()) {
            return;
        }
        ServiceCatalog old;
        try {
            old = catalog(now, cluster.nodes(), java.util.Set.of());
        } catch (PolicyInputException e) {
            old = ServiceCatalog.build(List.of(), List.of(), cluster.nodes(), config);
        }
        for (Node n : cluster.nodes()) {
            ServiceEngine counting = new ServiceEngine(config, new InMemoryLbIdAllocator(Integer.MAX_VALUE - 1));
            LbState was = counting.resolve(old, cluster.nodes(), n.name(), BackendOverrides.NONE);
            LbState will = counting.resolve(catalog, cluster.nodes(), n.name(), BackendOverrides.NONE);
            LbCapacity.overflow(n.name(), was, will, sizes).ifPresent(m -> {
                throw new PolicyInputException("", "", "", m);
            });
        }
    }

    private record Parsed(String source, String document) {
        static Parsed of(StoredObject o) {
            return new Parsed(o.source() == null || o.source().isEmpty() ? "store" : o.source(), o.document());
        }
    }

    /** A stored object's Services and EndpointSlices: the parse of its apply when this agent took it, else parsed now. */
    private ServiceObjects parsedOf(StoredObject o) {
        Parsed key = Parsed.of(o);
        ServiceObjects known = parsed.get(key);
        return known != null ? known : services.parse(key.document(), key.source());
    }

    private static List<StoredObject> serviceObjects(List<StoredObject> objects) {
        List<StoredObject> out = new ArrayList<>();
        for (StoredObject o : objects) {
            if (SERVICE_KINDS.contains(o.key().kind())) {
                out.add(o);
            }
        }
        return out;
    }

    /**
     * The kinds of the objects a commit adds, changes or removes, from one walk of the two key-sorted lists: a
     * commit keeps the instances of the objects it leaves alone, so most steps compare two references.
     */
    static Set<String> changedKinds(List<StoredObject> before, List<StoredObject> after) {
        Set<String> kinds = new java.util.HashSet<>();
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            StoredObject b = i < before.size() ? before.get(i) : null;
            StoredObject a = j < after.size() ? after.get(j) : null;
            if (a == b) {
                i++;
                j++;
                continue;
            }
            int cmp = b == null ? 1 : a == null ? -1 : b.key().compareTo(a.key());
            if (cmp < 0) {
                kinds.add(b.key().kind());
                i++;
            } else if (cmp > 0) {
                kinds.add(a.key().kind());
                j++;
            } else {
                if (!b.equals(a)) {
                    kinds.add(a.key().kind());
                }
                i++;
                j++;
            }
        }
        return kinds;
    }

    /** The objects parsed (each file's at once, so errors name the file) and checked together. */
    private ServiceCatalog catalog(List<StoredObject> objects, List<Node> nodes, java.util.Set<String> established) {
        List<Service> svcs = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        try {
            for (StoredObject o : objects) {
                ServiceObjects known = parsedOf(o);
                svcs.addAll(known.services());
                slices.addAll(known.slices());
            }
            return ServiceCatalog.build(svcs, slices, nodes, config, established);
        } catch (ValidationException e) {
            throw new PolicyInputException(e.file(), e.object(), e.path(), e.problem());
        }
    }

    private static List<JsonNode> documents(String source, String text) {
        List<JsonNode> out = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(text)) {
            while (it.hasNextValue()) {
                JsonNode doc = (JsonNode) it.nextValue();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    out.add(doc);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PolicyInputException(source, "", "", "not valid YAML: " + e.getMessage());
        }
        return out;
    }

    /**
     * Computes from what changed since the last computation ({@link Store.Snapshot#changesSince}): only the
     * services the changed objects touch are resolved again ({@link IncrementalServiceEngine}), and policy only
     * when a policy object, the endpoints, namespaces or nodes changed. The first computation, and the one after
     * a failure, takes every object.
     */
    @Override
    public synchronized ComputedState compile(Input input) {
        computing.lock();
        try {
            return compileChanges(input);
        } catch (RuntimeException e) {
            engine = null;
            prefilter = null;
            guarded = null;
            applied = null;
            policy = null;
            policyComputation.forget();
            throw e;
        } finally {
            computing.unlock();
        }
    }

    /**
     * The apply check's count on the computation's own engine ({@link ServiceApplyCheck.Lender}): once no
     * computation holds it, if it was computed from exactly {@code now} and these nodes. The wait is short: the
     * check runs under the store's writer lock, which a computation's id allocation may be waiting for.
     */
    private boolean lend(List<Node> nodes, List<StoredObject> now, ServiceApplyCheck.Lent count) {
        try {
            if (!computing.tryLock(LEND_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            if (engine == null || engine.broken() || applied == null || !sorted(lastNodes).equals(sorted(nodes))
                    || !same(serviceObjects(applied.objects()), now)) {
                return false;
            }
            count.count(engine, overrides, lastNodes);
            return true;
        } finally {
            computing.unlock();
        }
    }

    private static List<Node> sorted(List<Node> nodes) {
        return nodes.stream().sorted(java.util.Comparator.comparing(Node::name)).toList();
    }

    /** The same objects, in the same order (a commit keeps the instances of those it leaves alone). */
    private static boolean same(List<StoredObject> a, List<StoredObject> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i) && !a.get(i).equals(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Policy is computed afresh next time (identities allocated again); services keep their incremental state. */
    @Override
    public synchronized void computeAfresh() {
        policy = null;
        policyComputation.forget();
    }

    private ComputedState compileChanges(Input input) {
        Store.Snapshot snapshot = new Store.Snapshot(input.revision(), input.objects());
        boolean full = engine == null || engine.broken() || applied == null || !input.node().equals(computedFor);
        List<ObjectChange> changes = full
                ? snapshot.objects().stream().map(o -> new ObjectChange(o.key(), ObjectChange.Kind.CREATED, o)).toList()
                : snapshot.changesSince(applied);
        boolean policyChanged = full;
        boolean prefilterChanged = full;
        boolean guardsChanged = full;
        boolean overridesChanged = full;
        List<Service> putServices = new ArrayList<>();
        List<String> goneServices = new ArrayList<>();
        List<EndpointSlice> putSlices = new ArrayList<>();
        List<String> goneSlices = new ArrayList<>();
        for (ObjectChange c : changes) {
            String kind = c.key().kind();
            if (kind.equals(BackendOverrides.KIND)) {
                overridesChanged = true;
            } else if (PrefilterCompiler.handles(kind)) {
                prefilterChanged = true;
            } else if (GuardCompiler.handles(kind)) {
                guardsChanged = true;
            } else if (!SERVICE_KINDS.contains(kind)) {
                policyChanged = true;
            } else if (c.kind() == ObjectChange.Kind.DELETED) {
                (kind.equals("Service") ? goneServices : goneSlices).add(c.key().namespace() + "/" + c.key().name());
            } else {
                ServiceObjects d = parse(c.object());
                parsed.remove(Parsed.of(c.object()));
                putServices.addAll(d.services());
                putSlices.addAll(d.slices());
            }
        }
        if (overridesChanged) {
            overrides = BackendOverrides.fromDocuments(snapshot.objects().stream()
                    .filter(o -> o.key().kind().equals(BackendOverrides.KIND)).map(StoredObject::document).toList());
        }
        List<Node> nodes = input.cluster().nodes();
        if (full) {
            engine = new IncrementalServiceEngine(config, ids, input.node());
        }
        boolean many = full || !nodes.equals(lastNodes)
                || putServices.size() + goneServices.size() + putSlices.size() + goneSlices.size() > BATCH_ABOVE;
        java.util.function.Supplier<LbChange> update = () -> engine.update(putServices, goneServices, putSlices, goneSlices,
                overrides, nodes);
        LbChange change = many ? ids.batch(() -> {
            LbChange c = update.get();
            flushReleases(true);
            return c;
        }) : update.get();
        if (!many) {
            flushReleases(false);
        }
        long from = full ? -1 : version;
        version++;
        lastNodes = nodes;
        if (policyChanged || policy == null || !input.cluster().equals(policyCluster)) {
            policy = policyComputation.compute(input.cluster(), snapshot.objects().stream()
                    .filter(o -> !SERVICE_KINDS.contains(o.key().kind()) && !o.key().kind().equals(BackendOverrides.KIND)
                            && !PrefilterCompiler.handles(o.key().kind()) && !GuardCompiler.handles(o.key().kind()))
                    .toList(), input.identities());
            policyCluster = input.cluster();
        }
        if (prefilterChanged || prefilter == null || !nodes.equals(prefilterNodes)) {
            prefilter = prefilters.compile(input.node(), snapshot.objects());
            prefilterNodes = nodes;
        }
        if (guardsChanged || guarded == null) {
            guarded = guards.compile(snapshot.objects());
        }
        applied = snapshot;
        computedFor = input.node();
        return new ComputedState(policy, engine.state(), change.between(from, version), prefilter, guarded);
    }

    /**
     * Writes the ids released since the last write: always inside a batch (the tables are in memory then), else
     * once thousands gathered or half a minute passed, so that a small change writes no table for its releases.
     */
    private void flushReleases(boolean inBatch) {
        if (ids instanceof StoreLbIds store && (inBatch || store.pending() > RELEASE_ABOVE
                || System.nanoTime() - lastRelease > RELEASE_EVERY_NANOS)) {
            store.flush();
            lastRelease = System.nanoTime();
        }
    }

    /** A stored service document, with the file it came from in errors. */
    private ServiceObjects parse(StoredObject o) {
        try {
            return parsedOf(o);
        } catch (ValidationException e) {
            throw new PolicyInputException(e.file(), e.object(), e.path(), e.problem());
        }
    }

    @Override
    public dev.weir.agent.policy.PolicyResult policy(ComputedState state) {
        return state.policy();
    }

    /**
     * What the agent shows. The rows of {@code weir service list} are formatted from the kept state when listed
     * ({@link ServiceRows}), so a computation does not pay for formatting every backend of every service.
     */
    @Override
    public synchronized StateView view(ComputedState state) {
        List<StateView.Frontend> frontends = new ArrayList<>();
        for (var f : state.services().frontends()) {
            frontends.add(new StateView.Frontend(f.revNatId(), f.service(), f.address().toString(), f.port(), f.protocol().name()));
        }
        return policies.view(state.policy()).withServices(frontends, ServiceRows.of(state.services()))
                .withRules(GuardCompiler.rules(state.guards()));
    }

    /** The node's service state as {@code weir service list} shows it. */
    static StateView.Services services(LbState state) {
        return ServiceRows.of(state);
    }
}
