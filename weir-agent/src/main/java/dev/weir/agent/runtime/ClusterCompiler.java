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
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoredObject;
import dev.weir.datapath.lb.LbMapSizes;

/**
 * The agent's {@link PolicyCompiler} for everything {@code weir apply} takes: network policies go to the
 * policy engine ({@link EnginePolicyCompiler}), {@code Service} and {@code EndpointSlice} objects to the
 * service engine, {@code WeirPrefilter} objects to the node's prefilter ({@link PrefilterCompiler}). Each
 * document of a file is routed by its kind. Service ids are per node and stored, so
 * a restarted agent keeps the numbers its pinned maps and conntrack entries use. Thread-safe.
 */
public final class ClusterCompiler implements PolicyCompiler<ComputedState> {

    private static final Set<String> SERVICE_KINDS = Set.of("Service", "EndpointSlice");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final EnginePolicyCompiler policies = new EnginePolicyCompiler();
    private final PrefilterCompiler prefilters = new PrefilterCompiler();
    private final ServiceConfig config;
    private final ServiceParser services;
    private final ServiceEngine engine;
    private final LbIdAllocator ids;
    private final LbMapSizes sizes;
    /**
     * Service and EndpointSlice documents as parsed, by source and text: by {@link #parse} for the
     * {@link #check} of the same apply, by {@link #compile} so that unchanged objects are not parsed again.
     * Pruned to the objects in use by both.
     */
    private final Map<Parsed, ServiceObjects> parsed = new java.util.concurrent.ConcurrentHashMap<>();
    /** The last state computed, whose ids the next computation releases when it no longer uses them. */
    private LbState previous;

    public ClusterCompiler(LbIdAllocator ids) {
        this(ids, LbMapSizes.DEFAULTS);
    }

    /** @param sizes the service maps' sizes, for the capacity check of {@link #check} */
    public ClusterCompiler(LbIdAllocator ids, LbMapSizes sizes) {
        this(ids, sizes, ServiceConfig.lab());
    }

    /**
     * @param sizes  the service maps' sizes, for the capacity check of {@link #check}
     * @param config the cluster's service ranges and pools, which Services are validated against
     */
    public ClusterCompiler(LbIdAllocator ids, LbMapSizes sizes, ServiceConfig config) {
        this.config = config;
        this.services = new ServiceParser(config);
        this.engine = new ServiceEngine(config, ids);
        this.ids = ids;
        this.sizes = sizes;
    }

    /**
     * Service ids kept in the store's allocation tables, one numbering per node. Numbers are never
     * reused (a released key that returns gets a new number), so the range is the datapath's whole u32
     * space that Java's int reaches. A {@link LbIdAllocator#batch} holds the store's writer lock and
     * writes each table once.
     */
    public static LbIdAllocator storeIds(Store store, String node) {
        java.util.EnumMap<LbIdAllocator.Kind, Store.Allocations> tables = new java.util.EnumMap<>(LbIdAllocator.Kind.class);
        for (LbIdAllocator.Kind kind : LbIdAllocator.Kind.values()) {
            tables.put(kind, store.allocations("lb-" + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + "-" + node,
                    1, Integer.MAX_VALUE - 1));
        }
        return new LbIdAllocator() {
            @Override
            public int allocate(Kind kind, String key) {
                return tables.get(kind).allocate(key);
            }

            @Override
            public void release(Kind kind, String key) {
                tables.get(kind).release(List.of(key));
            }

            @Override
            public <T> T batch(java.util.function.Supplier<T> work) {
                return tables.get(Kind.SERVICE).batch(() -> tables.get(Kind.BACKEND).batch(() -> tables.get(Kind.REV_NAT).batch(work)));
            }
        };
    }

    @Override
    public List<ParsedObject> parse(String source, String text) {
        List<ParsedObject> out = new ArrayList<>();
        for (JsonNode doc : documents(source, text)) {
            String json = doc.toString();
            if (SERVICE_KINDS.contains(doc.path("kind").asText())) {
                out.add(parseService(source, json));
            } else if (PrefilterCompiler.handles(doc.path("kind").asText())) {
                out.add(prefilters.parse(source, doc, out.size() + 1));
            } else {
                out.addAll(policies.parse(source, json));
            }
        }
        return out;
    }

    private ParsedObject parseService(String source, String json) {
        try {
            ServiceObjects o = services.parse(json, source);
            parsed.put(new Parsed(source, json), o);
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
     * The service objects a commit would leave, checked together (a ClusterIP or NodePort taken twice, two
     * frontends alike: {@link ServiceCatalog}) and against the service maps' sizes on every node (the
     * entries {@code LbMapWriter} would need going from the stored state to the new one). Skipped when the
     * commit changes no Service or EndpointSlice.
     */
    @Override
    public void check(String node, ClusterState cluster, List<StoredObject> before, List<StoredObject> after) {
        prefilters.check(cluster.nodes(), before, after);
        List<StoredObject> now = serviceObjects(before);
        List<StoredObject> next = serviceObjects(after);
        if (now.equals(next)) {
            return;
        }
        java.util.Set<StoredObject> unchanged = new java.util.HashSet<>(now);
        ServiceCatalog catalog = catalog(next, cluster.nodes(), next.stream().filter(unchanged::contains)
                .map(o -> o.key().namespace() + "/" + o.key().name()).collect(java.util.stream.Collectors.toSet()));
        java.util.Set<Parsed> keep = new java.util.HashSet<>();
        next.forEach(o -> keep.add(Parsed.of(o)));
        now.forEach(o -> keep.add(Parsed.of(o)));
        parsed.keySet().retainAll(keep);
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

    /** A stored object's Services and EndpointSlices, parsed once (stored documents are JSON: fast one at a time). */
    private ServiceObjects parsedOf(StoredObject o) {
        Parsed key = Parsed.of(o);
        ServiceObjects known = parsed.get(key);
        if (known == null) {
            known = services.parse(key.document(), key.source());
            parsed.put(key, known);
        }
        return known;
    }

    private static List<StoredObject> serviceObjects(List<StoredObject> objects) {
        return objects.stream().filter(o -> SERVICE_KINDS.contains(o.key().kind())).toList();
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

    @Override
    public synchronized ComputedState compile(Input input) {
        List<StoredObject> policyObjects = new ArrayList<>();
        List<String> overrides = new ArrayList<>();
        List<Service> svcs = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        java.util.Set<Parsed> inUse = new java.util.HashSet<>();
        for (StoredObject o : input.objects()) {
            if (o.key().kind().equals(BackendOverrides.KIND)) {
                overrides.add(o.document());
            } else if (SERVICE_KINDS.contains(o.key().kind())) {
                ServiceObjects d = parsedOf(o);
                inUse.add(Parsed.of(o));
                svcs.addAll(d.services());
                slices.addAll(d.slices());
            } else if (!PrefilterCompiler.handles(o.key().kind())) {
                policyObjects.add(o);
            }
        }
        parsed.keySet().retainAll(inUse);
        PolicyResult policy = policies.compile(new Input(input.node(), input.cluster(), policyObjects,
                input.revision(), input.identities()));
        ServiceObjects objects = new ServiceObjects(svcs, slices);
        LbState lb = ids.batch(() -> {
            LbState now = engine.resolve(objects.services(), objects.slices(), input.cluster().nodes(), input.node(),
                    BackendOverrides.fromDocuments(overrides));
            if (previous != null) {
                ServiceEngine.releaseUnused(previous, now, ids);
            }
            return now;
        });
        previous = lb;
        return new ComputedState(policy, lb, prefilters.compile(input.node(), input.objects()));
    }

    @Override
    public PolicyView view(ComputedState state) {
        List<PolicyView.Frontend> frontends = new ArrayList<>();
        for (var f : state.services().frontends()) {
            frontends.add(new PolicyView.Frontend(f.revNatId(), f.service(), f.address().toString(), f.port(), f.protocol().name()));
        }
        return policies.view(state.policy()).withServices(frontends, services(state.services()));
    }

    /** The node's service state as {@code weir service list} shows it. */
    static PolicyView.Services services(LbState state) {
        Map<Integer, dev.weir.agent.service.LbBackend> backends = new java.util.HashMap<>();
        state.backends().forEach(b -> backends.put(b.id(), b));
        List<PolicyView.ServiceRow> rows = new ArrayList<>();
        for (var f : state.frontends()) {
            List<String> list = new ArrayList<>();
            for (int id : state.service(f.svcId()).map(dev.weir.agent.service.LbService::backends).orElse(List.of())) {
                var b = backends.get(id);
                list.add(b.address() + ":" + b.port() + " " + b.state().name().toLowerCase(java.util.Locale.ROOT)
                        + (b.targetRef() == null ? "" : " (" + b.targetRef() + ")"));
            }
            rows.add(new PolicyView.ServiceRow(f.service(), f.kind().name(), f.address() + ":" + f.port(),
                    f.protocol().name(), f.clientScope().name().toLowerCase(java.util.Locale.ROOT), list, f.flagNames()));
        }
        return new PolicyView.Services(rows, state.pending(), state.warnings());
    }
}
