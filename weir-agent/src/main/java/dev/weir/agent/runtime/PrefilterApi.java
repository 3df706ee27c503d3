package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.weir.agent.api.ApiException;
import dev.weir.agent.api.ApiHandler;
import dev.weir.agent.api.ApiProtocol;
import dev.weir.agent.prefilter.ImperativePrefilter;
import dev.weir.agent.prefilter.NodePrefilter;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.prefilter.PrefilterRule;
import dev.weir.agent.prefilter.PrefilterSettings;
import dev.weir.agent.prefilter.PrefilterState;
import dev.weir.agent.prefilter.WeirPrefilter;
import dev.weir.agent.prefilter.WeirPrefilterReader;
import dev.weir.agent.store.Change;
import dev.weir.agent.store.CommitResult;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.Store;
import dev.weir.agent.store.StoredObject;

/**
 * The agent's prefilter methods (docs/agent.md): {@code prefilter.status}, this node's prefilter as its
 * dataplane has it (rule ids, attachments, counters), and {@code prefilter.edit}, what {@code weir prefilter
 * attach|detach|add|del|set} do on a node with an agent: change the node's {@code WeirPrefilter
 * imperative-<node>} in the store, checked as {@code weir apply} checks (all-or-nothing). An edit reads the
 * object, changes it and commits only if the object is still what it read, else starts again, so two edits at
 * once both count. Thread-safe.
 */
final class PrefilterApi {

    private static final ObjectMapper M = ApiProtocol.mapper();
    private static final int TRIES = 10;
    /** {@code pf_tcp}'s entries by the names {@code prefilter.status} gives them. */
    static final List<String> TCP_COUNTERS = List.of("syn", "cookiesSent", "cookiesValid");

    private final String node;
    private final Store store;
    private final StateCompiler<?> compiler;
    private final Supplier<SyncState> sync;
    private final Runnable poke;
    private final NodePrefilter prefilter;

    /** @param prefilter the node's prefilter, or null when this agent's dataplane has none */
    PrefilterApi(String node, Store store, StateCompiler<?> compiler, Supplier<SyncState> sync, Runnable poke,
                 NodePrefilter prefilter) {
        this.node = node;
        this.store = store;
        this.compiler = compiler;
        this.sync = sync;
        this.poke = poke;
        this.prefilter = prefilter;
    }

    Map<String, ApiHandler> handlers() {
        Map<String, ApiHandler> h = new HashMap<>();
        h.put("prefilter.status", p -> status());
        h.put("prefilter.edit", this::edit);
        return h;
    }

    private NodePrefilter.Status current() {
        if (prefilter == null) {
            throw new ApiException(ApiException.INVALID, "the dataplane of " + node + "'s agent has no prefilter");
        }
        return prefilter.status();
    }

    /** The interfaces exist on this node (an attach that names one that does not changes nothing). */
    private List<String> existing(List<String> interfaces) {
        var self = sync.get().cluster().node(node);
        if (prefilter != null && self.isPresent()) {
            interfaces.forEach(i -> prefilter.checkInterface(self.get().netns(), i));
        }
        return interfaces;
    }

    /** The node's prefilter: settings, interfaces, rules with ids, origins and counters, per-reason counters. */
    private JsonNode status() {
        NodePrefilter.Status s = current();
        NodePrefilterSpec spec = s.spec();
        Optional<PrefilterState> st = s.state();
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        var self = sync.get().cluster().node(node);
        o.put("nodeKnown", self.isPresent());
        o.put("netns", self.map(dev.weir.agent.cluster.Node::netns).orElse(s.netns()));
        o.put("pinDir", s.pinDir().toString());
        o.put("revision", sync.get().appliedRevision());
        o.put("selected", spec.selected());
        o.set("objects", M.valueToTree(spec.objects()));
        o.set("interfaces", M.valueToTree(spec.attachedBy()));
        o.put("xdpMode", spec.xdpMode());
        PrefilterSettings set = st.map(x -> x.rules().settings()).orElse(spec.settings());
        o.put("mode", set.mode().name().toLowerCase(java.util.Locale.ROOT));
        o.put("ratePps", set.ratePps());
        o.put("rateBurst", set.rateBurst());
        o.put("sampleEvery", set.sampleEvery());
        o.put("dryRun", set.dryRun());
        o.put("redirect", set.redirect());
        o.set("synProxy", M.valueToTree(set.synProxy()));
        st.ifPresent(x -> o.put("maxPrefixes", x.capacity().prefixes()).put("maxRules", x.capacity().rules()));
        o.set("attachments", M.valueToTree(st.map(PrefilterState::attachments).orElse(Map.of())));
        ArrayNode rules = o.putArray("rules");
        for (PrefilterRule r : st.map(x -> x.rules().rules()).orElse(List.of())) {
            long[] c = s.rules().getOrDefault(r.id(), new long[2]);
            ObjectNode j = rules.addObject().put("id", r.id()).put("action", r.action().name().toLowerCase(java.util.Locale.ROOT))
                    .put("src", text(r.src())).put("dst", text(r.dst())).put("proto", r.proto() == null ? null : r.proto().lower())
                    .put("dport", text(r.dport())).put("dryRun", r.dryRun())
                    .put("match", r.describe().replaceFirst("^(deny|allow) ", "").replaceFirst(" dry-run$", ""))
                    .put("packets", c[0]).put("bytes", c[1]);
            j.set("objects", M.valueToTree(spec.originsOf(r)));
        }
        long[] none = s.rules().getOrDefault(0, new long[2]);
        o.putObject("unattributed").put("packets", none[0]).put("bytes", none[1]);
        counters(o.putArray("reasons"), s.reasons());
        counters(o.putArray("wouldDrop"), s.wouldDrop());
        ObjectNode tcp = o.putObject("tcp");
        new java.util.TreeMap<>(s.tcp()).forEach((k, perCpu) -> tcp.set(TCP_COUNTERS.get(k), M.valueToTree(perCpu)));
        ArrayNode rdr = o.putArray("redirectStats");
        new java.util.TreeMap<>(s.redirect()).forEach((k, c) -> rdr.addObject().put("code", k)
                .put("outcome", dev.weir.datapath.prefilter.PrefilterMaps.RDR_OUTCOMES.get(k))
                .put("packets", c[0]).put("bytes", c[1]));
        return o;
    }

    /** Per-reason counters as {code, packets, bytes} entries, by code. */
    private static void counters(ArrayNode out, Map<Integer, long[]> byCode) {
        new java.util.TreeMap<>(byCode).forEach((code, c) -> out.addObject().put("code", code)
                .put("packets", c[0]).put("bytes", c[1]));
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }

    /**
     * {@code {"op": "add|delete|attach|detach|set|remove", "rules": [{action, src, dst, proto, dport}], "ids": [..],
     * "interfaces": [..], "xdpMode": .., "mode": .., "rateLimit": .., "burst": .., "sampleEvery": ..}}: changes
     * {@code WeirPrefilter imperative-<node>} and commits it; answers {@code {object, outcome, revision, changed}}.
     */
    private JsonNode edit(JsonNode params) {
        String op = params.path("op").asText("");
        ObjectKey key = new ObjectKey(WeirPrefilter.KIND, "", ImperativePrefilter.name(node));
        for (int attempt = 1; ; attempt++) {
            Optional<StoredObject> was = store.get(key);
            WeirPrefilter before = was.map(o -> WeirPrefilterReader.parse(o.document(), o.source()).getFirst()).orElse(null);
            WeirPrefilter after;
            try {
                after = change(op, params).apply(before == null ? ImperativePrefilter.empty(node) : before);
                if (after != null) {
                    WeirPrefilterReader.parse(after.toDocument(), ImperativePrefilter.SOURCE);   // what apply would refuse
                }
            } catch (IllegalArgumentException | dev.weir.agent.yaml.ValidationException e) {
                throw new ApiException(ApiException.INVALID, e.getMessage(), e);
            }
            if (op.equals("remove") && before == null) {
                return answer(key, "unchanged", new CommitResult(store.revision(), Map.of()));
            }
            List<Change> changes = List.of(after == null ? new Change.Delete(key)
                    : new Change.Put(key, after.toDocument(), ImperativePrefilter.SOURCE));
            try {
                CommitResult r = store.commit(changes, (b, a) -> {
                    if (!b.stream().filter(o -> o.key().equals(key)).findFirst().equals(was)) {
                        throw new Raced();
                    }
                    compiler.check(node, sync.get().cluster(), b, a, params.path("force").asBoolean(false));
                });
                poke.run();
                return answer(key, r.outcomes().getOrDefault(key, "unchanged"), r);
            } catch (Raced e) {
                if (attempt >= TRIES) {
                    throw new ApiException(ApiException.INTERNAL, key + " kept changing under " + TRIES + " tries; try again");
                }
            } catch (PolicyInputException e) {
                throw new ApiException(ApiException.INVALID, e.getMessage() + " (nothing was changed)", e);
            }
        }
    }

    private JsonNode answer(ObjectKey key, String outcome, CommitResult r) {
        ObjectNode o = M.createObjectNode();
        o.put("node", node);
        o.put("object", key.toString());
        o.put("outcome", outcome);
        o.put("revision", r.revision());
        o.put("changed", r.changed());
        return o;
    }

    /** The edit an {@code op} asks for; null from the operator: delete the object. */
    private UnaryOperator<WeirPrefilter> change(String op, JsonNode p) {
        return switch (op) {
            case "add" -> w -> ImperativePrefilter.add(w, rules(p));
            case "delete" -> p.has("ids")
                    ? w -> ImperativePrefilter.removeIds(w, ids(p), byId(), current().spec())
                    : w -> ImperativePrefilter.removeMatching(w, rules(p), current().spec());
            case "attach" -> w -> ImperativePrefilter.attach(w, existing(strings(p.path("interfaces"))),
                    p.path("xdpMode").isTextual() ? p.path("xdpMode").asText() : null);
            case "detach" -> w -> ImperativePrefilter.detach(w, strings(p.path("interfaces")), current().spec().attachedBy());
            case "set" -> w -> ImperativePrefilter.set(w, mode(p.path("mode")), number(p.path("rateLimit")),
                    number(p.path("burst")), number(p.path("sampleEvery")),
                    p.path("dryRun").isBoolean() ? p.path("dryRun").asBoolean() : null,
                    p.path("synProxy").isArray() ? ports(p.path("synProxy")) : null);
            case "remove" -> w -> null;
            default -> throw new ApiException(ApiException.BAD_REQUEST, "unknown prefilter edit '" + op
                    + "' (add, delete, attach, detach, set, remove)");
        };
    }

    private Map<Integer, PrefilterRule> byId() {
        Map<Integer, PrefilterRule> out = new HashMap<>();
        current().state().ifPresent(s -> s.rules().rules().forEach(r -> out.put(r.id(), r)));
        return out;
    }

    /** Rules as {@link PrefilterState.RuleJson} (the CLI's flags, checked there and again here). */
    private static List<PrefilterRule> rules(JsonNode p) {
        List<PrefilterRule> out = new ArrayList<>();
        for (JsonNode r : p.path("rules")) {
            out.add(M.convertValue(r, PrefilterState.RuleJson.class).toRule());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no rules given");
        }
        return out;
    }

    private static List<Integer> ports(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(i -> out.add(i.asInt()));
        return out;
    }

    private static List<Integer> ids(JsonNode p) {
        List<Integer> out = new ArrayList<>();
        p.path("ids").forEach(i -> out.add(i.asInt()));
        return out;
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(i -> out.add(i.asText()));
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no interfaces given");
        }
        return out;
    }

    private static PrefilterSettings.Mode mode(JsonNode n) {
        return n.isTextual() ? PrefilterSettings.Mode.valueOf(n.asText().toUpperCase(java.util.Locale.ROOT)) : null;
    }

    private static Long number(JsonNode n) {
        return n.isNumber() ? n.asLong() : null;
    }

    /** Another commit changed the object between reading and committing. */
    private static final class Raced extends RuntimeException {
        Raced() {
            super("the object changed meanwhile", null, false, false);
        }
    }
}
