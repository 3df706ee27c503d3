package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.flow.FlowApi;
import dev.weir.agent.flow.FlowHistory;
import dev.weir.agent.identity.InMemoryIdentityAllocator;
import dev.weir.agent.policy.PolicyParser;
import dev.weir.agent.policy.PolicyResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.whatif.FlowReplay;
import dev.weir.agent.whatif.WhatIfReport;

/**
 * {@code policy.whatif} (docs/agent.md): the policy objects of a draft, validated as {@code apply} validates
 * them, laid over the store's objects (same kind, namespace and name: replaced; else added); this node's flow
 * history replayed under the store's policies and under the draft ({@link FlowReplay}). Writes nothing: the
 * draft is not committed, and identities are numbered in memory, not allocated in the store. Thread-safe.
 */
final class WhatIfApi {

    private static final ObjectMapper M = ApiProtocol.mapper();

    private final String node;
    private final Store store;
    private final StateCompiler<?> compiler;
    private final Supplier<SyncState> sync;
    private final FlowHistory flows;
    private final EnginePolicyCompiler policies;

    WhatIfApi(String node, Store store, StateCompiler<?> compiler, Supplier<SyncState> sync, FlowHistory flows,
              boolean allowLocalhost) {
        this.policies = new EnginePolicyCompiler(allowLocalhost);
        this.node = node;
        this.store = store;
        this.compiler = compiler;
        this.sync = sync;
        this.flows = flows;
    }

    Map<String, ApiHandler> handlers() {
        return Map.of("policy.whatif", this::whatif);
    }

    /**
     * {@code {"files": [{"source", "text"}], "since": ISO-8601}} to {@code {"node", "revision", "draft": [...],
     * "summary", "groups", "warnings"}} ({@link WhatIfReport}).
     */
    private JsonNode whatif(JsonNode params) {
        ApplyFiles files = ApplyFiles.parse(compiler, params);
        // no computation follows a what-if: what the parse kept for one would stay
        files.forget(compiler, k -> true);
        for (StateCompiler.ParsedObject o : files.objects()) {
            if (!PolicyParser.KINDS.contains(o.key().kind())) {
                throw new ApiException(ApiException.INVALID, files.sources().get(o.key()) + ": " + o.key()
                        + ": a what-if takes policy kinds only (" + String.join(", ", new java.util.TreeSet<>(PolicyParser.KINDS))
                        + "), nothing was evaluated");
            }
        }
        Store.Snapshot snapshot = store.snapshot();
        List<StoredObject> before = snapshot.objects();
        List<StoredObject> after = withDraft(before, files, snapshot.revision());
        ClusterState cluster = sync.get().cluster();
        try {
            compiler.check(node, cluster, before, after);
        } catch (PolicyInputException e) {
            throw new ApiException(ApiException.INVALID, e.getMessage() + " (nothing was evaluated)", e);
        }
        InMemoryIdentityAllocator identities = new InMemoryIdentityAllocator();
        PolicyResult now = policies.resolve(cluster, policyObjects(before), identities);
        PolicyResult draft = policies.resolve(cluster, policyObjects(after), identities);
        WhatIfReport report = FlowReplay.replay(now, draft, flows.query(FlowApi.filter(params), 0));
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("revision", snapshot.revision());
        o.set("draft", draft(before, files));
        o.setAll((ObjectNode) M.valueToTree(report));
        return o;
    }

    /** The stored objects with the draft's laid over them. */
    private static List<StoredObject> withDraft(List<StoredObject> stored, ApplyFiles files, long revision) {
        Map<ObjectKey, StoredObject> out = new LinkedHashMap<>();
        stored.forEach(s -> out.put(s.key(), s));
        for (StateCompiler.ParsedObject o : files.objects()) {
            out.put(o.key(), new StoredObject(o.key(), o.document(), files.sources().get(o.key()), revision + 1));
        }
        return new ArrayList<>(out.values());
    }

    private static List<StoredObject> policyObjects(List<StoredObject> objects) {
        return objects.stream().filter(o -> PolicyParser.KINDS.contains(o.key().kind())).toList();
    }

    /** {@code [{"object", "source", "action": "create|replace|unchanged"}]}. */
    private static ArrayNode draft(List<StoredObject> stored, ApplyFiles files) {
        Map<ObjectKey, String> documents = new LinkedHashMap<>();
        stored.forEach(s -> documents.put(s.key(), s.document()));
        ArrayNode a = M.createArrayNode();
        for (StateCompiler.ParsedObject o : files.objects()) {
            String was = documents.get(o.key());
            String action = was == null ? "create" : was.equals(o.document()) ? "unchanged" : "replace";
            a.addObject().put("object", o.key().toString()).put("source", files.sources().get(o.key())).put("action", action);
        }
        return a;
    }
}
