package dev.weir.agent.runtime;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.prefilter.LockoutGuard;
import dev.weir.agent.prefilter.NodePrefilterSpec;
import dev.weir.agent.prefilter.PrefilterMerge;
import dev.weir.agent.prefilter.WeirPrefilter;
import dev.weir.agent.prefilter.WeirPrefilterReader;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.yaml.ValidationException;

/**
 * The {@code WeirPrefilter} part of {@link ClusterCompiler}: reads the kind for {@code weir apply}, checks
 * what a commit would leave (objects that select one node must agree on its settings, and their rules must
 * fit), and computes what a node's prefilter should be. Stored documents are read once and kept while in
 * use. Thread-safe.
 */
final class PrefilterCompiler {

    private final Map<String, WeirPrefilter> read = new ConcurrentHashMap<>();
    private final LockoutGuard guard;

    /** @param guard what the prefilter must not drop, checked by {@link #check} unless forced */
    PrefilterCompiler(LockoutGuard guard) {
        this.guard = guard;
    }

    static boolean handles(String kind) {
        return WeirPrefilter.KIND.equals(kind);
    }

    /**
     * One document of a file.
     *
     * @param index its 1-based place in the file, for messages
     */
    StateCompiler.ParsedObject parse(String source, JsonNode doc, int index) {
        try {
            WeirPrefilter p = WeirPrefilterReader.read(doc, source, index);
            return new StateCompiler.ParsedObject(new ObjectKey(WeirPrefilter.KIND, "", p.name()), doc.toString());
        } catch (ValidationException e) {
            throw invalid(e, source);
        }
    }

    /**
     * Skipped when the commit changes no WeirPrefilter; the error names an object being applied. The lockout
     * guard is skipped when {@code force}.
     */
    void check(List<Node> nodes, List<StoredObject> before, List<StoredObject> after, boolean force) {
        List<StoredObject> now = ours(before);
        List<StoredObject> next = ours(after);
        if (now.equals(next)) {
            return;
        }
        Set<StoredObject> unchanged = new HashSet<>(now);
        try {
            List<WeirPrefilter> ordered = PrefilterMerge.unchangedFirst(next, this::object, unchanged::contains);
            PrefilterMerge.check(nodes.stream().map(Node::name).toList(), ordered);
            if (!force) {
                guard.check(nodes, now.stream().map(this::object).toList(), ordered);
            }
        } catch (ValidationException e) {
            throw invalid(e, "");
        }
    }

    /** What the objects that select {@code node} ask of it ({@link NodePrefilterSpec#NONE} when none does). */
    NodePrefilterSpec compile(String node, List<StoredObject> objects) {
        List<StoredObject> mine = ours(objects);
        Set<String> inUse = new HashSet<>();
        mine.forEach(o -> inUse.add(cacheKey(o)));
        read.keySet().retainAll(inUse);
        try {
            return PrefilterMerge.forNode(node, mine.stream().map(this::object).toList());
        } catch (ValidationException e) {
            throw invalid(e, "");
        }
    }

    private WeirPrefilter object(StoredObject o) {
        return read.computeIfAbsent(cacheKey(o), k -> WeirPrefilterReader.parse(o.document(), o.source()).getFirst());
    }

    private static String cacheKey(StoredObject o) {
        return o.source() + "\n" + o.document();
    }

    private static List<StoredObject> ours(List<StoredObject> objects) {
        return objects.stream().filter(o -> handles(o.key().kind())).toList();
    }

    private static PolicyInputException invalid(ValidationException e, String source) {
        return new PolicyInputException(e.file() == null ? source : e.file(), e.object(), e.path(), e.problem());
    }
}
