package dev.weir.agent.runtime;

import dev.weir.agent.yaml.ValidationException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.identity.Identities;
import dev.weir.agent.identity.IdentityAllocator;
import dev.weir.agent.identity.IdentityInfo;
import dev.weir.agent.policy.ClusterSnapshot;
import dev.weir.agent.policy.EndpointPolicy;
import dev.weir.agent.policy.IncrementalPolicyEngine;
import dev.weir.agent.policy.PolicyEngine;
import dev.weir.agent.policy.PolicyEntry;
import dev.weir.agent.policy.PolicyObject;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.policy.RuleRef;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.StoredObject;

/**
 * The agent's {@link StateCompiler} over the policy engine (docs/policy-engine.md): {@link PolicyParser}
 * validates what {@code weir apply} sends, {@link PolicyEngine#resolve} computes identities and entries from
 * the store's objects and the cluster. Identities come from the store, so every node numbers them alike.
 * Stateless; thread-safe.
 */
public final class EnginePolicyCompiler implements StateCompiler<PolicyResult> {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PolicyParser parser = new PolicyParser();
    private final PolicyEngine engine;
    private final boolean allowLocalhost;

    /** Policy alone decides (no implicit rule). */
    public EnginePolicyCompiler() {
        this(false);
    }

    /** @param allowLocalhost whether the node's host may always reach its pods ({@link PolicyEngine#PolicyEngine(boolean)}) */
    public EnginePolicyCompiler(boolean allowLocalhost) {
        this.engine = new PolicyEngine(allowLocalhost);
        this.allowLocalhost = allowLocalhost;
    }

    /** An engine that keeps what it computed, with this compiler's implicit rules. */
    IncrementalPolicyEngine incremental() {
        return new IncrementalPolicyEngine(allowLocalhost);
    }

    /** The engine's allocator over the store's cluster-wide identity allocations. */
    static IdentityAllocator allocator(StoreIdentityAllocator identities) {
        return new StoreAllocator(identities);
    }

    /**
     * The policies of one stored object.
     *
     * @throws PolicyInputException when it does not parse (a newer agent wrote it)
     */
    List<PolicyObject> parse(StoredObject o) {
        try {
            return parser.parse(o.document(), o.source());
        } catch (ValidationException e) {
            throw new PolicyInputException(o.source(), o.key().toString(), e.path(), e.problem());
        }
    }

    @Override
    public List<ParsedObject> parse(String source, String text) {
        List<PolicyObject> objects;
        try {
            objects = parser.parse(text, source);
        } catch (ValidationException e) {
            throw new PolicyInputException(e.file() == null ? source : e.file(), e.object(), e.path(), e.problem());
        }
        List<ParsedObject> out = new ArrayList<>();
        List<String> docs = documents(text);
        for (int i = 0; i < objects.size(); i++) {
            PolicyObject o = objects.get(i);
            ObjectKey key = new ObjectKey(o.kind(), o.namespace() == null ? "" : o.namespace(), o.name());
            out.add(new ParsedObject(key, docs.size() == objects.size() ? docs.get(i) : text));
        }
        return out;
    }

    /** One document already read into a tree: validated, kept as its JSON text. */
    ParsedObject parse(String source, com.fasterxml.jackson.databind.JsonNode document) {
        PolicyObject o;
        try {
            o = parser.parse(document, source);
        } catch (ValidationException e) {
            throw new PolicyInputException(e.file() == null ? source : e.file(), e.object(), e.path(), e.problem());
        }
        return new ParsedObject(new ObjectKey(o.kind(), o.namespace() == null ? "" : o.namespace(), o.name()),
                document.toString());
    }

    /** The non-empty documents of a YAML stream, each as JSON text, in order. */
    private static List<String> documents(String text) {
        List<String> out = new ArrayList<>();
        try (var it = YAML.readerFor(Object.class).readValues(text)) {
            while (it.hasNextValue()) {
                Object doc = it.nextValue();
                if (doc != null) {
                    out.add(JSON.writeValueAsString(doc));
                }
            }
        } catch (java.io.IOException e) {
            throw new PolicyInputException("", "", "", "not valid YAML: " + e.getMessage());
        }
        return out;
    }

    @Override
    public PolicyResult compile(Input input) {
        return resolve(input.cluster(), input.objects(), new StoreAllocator(input.identities()));
    }

    /**
     * The engine's result for the cluster under these stored objects (every one a policy kind), with
     * identities numbered by {@code identities}: the sync loop's store allocator, or an in-memory one for a
     * computation that must write nothing (what-if).
     *
     * @throws PolicyInputException when a stored object does not parse
     */
    public PolicyResult resolve(ClusterState cluster, List<StoredObject> objects, IdentityAllocator identities) {
        List<PolicyObject> policies = new ArrayList<>();
        for (StoredObject o : objects) {
            policies.addAll(parse(o));
        }
        ClusterSnapshot snap = new ClusterSnapshot(cluster.nodes(), cluster.namespaces(), cluster.endpoints(), policies);
        return engine.resolve(snap, identities);
    }

    @Override
    public StateView view(PolicyResult r) {
        List<StateView.Identity> ids = new ArrayList<>();
        for (IdentityInfo i : r.identities()) {
            ids.add(new StateView.Identity(i.id(), i.kind().name(), i.labels()));
        }
        Map<Integer, StateView.EndpointPolicy> eps = new TreeMap<>();
        r.endpoints().forEach((id, p) -> eps.put(id, view(p)));
        List<StateView.Rule> rules = new ArrayList<>();
        for (RuleRef ref : r.rules()) {
            rules.add(new StateView.Rule(ref.id(), ref.kind(), ref.namespace() == null ? "" : ref.namespace(),
                    ref.name(), ref.path() == null ? "" : ref.path()));
        }
        return new StateView(ids, eps, rules, r.warnings());
    }

    @Override
    public PolicyResult policy(PolicyResult result) {
        return result;
    }

    private static StateView.EndpointPolicy view(EndpointPolicy p) {
        List<StateView.Entry> entries = new ArrayList<>();
        for (PolicyEntry e : p.entries()) {
            entries.add(new StateView.Entry(e.dir().name(), e.peerIdentity(), e.family(), e.proto(),
                    e.ports() == null ? null : e.ports().toString(), e.action().name(), e.rule()));
        }
        return new StateView.EndpointPolicy(p.identity(), p.ingressEnforced(), p.egressEnforced(), p.ingressAudit(),
                p.egressAudit(), entries);
    }

    /** The engine's allocator interface over the store's cluster-wide allocations (numbers are never reused). */
    private record StoreAllocator(StoreIdentityAllocator store) implements IdentityAllocator {
        @Override
        public int allocate(Map<String, String> labels) {
            int reserved = Identities.reserved(labels);
            return reserved > 0 ? reserved : store.allocate(labels);
        }

        @Override
        public void release(int id) {
            store.release(id);
        }

        @Override
        public Optional<IdentityInfo> lookup(int id) {
            Map<String, String> labels = store.all().get(id);
            return labels == null ? Optional.empty() : Optional.of(new IdentityInfo(id, Identities.kindOf(id), labels));
        }
    }
}
