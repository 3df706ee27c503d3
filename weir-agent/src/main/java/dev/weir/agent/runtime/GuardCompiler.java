package dev.weir.agent.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;

import dev.weir.agent.guard.GuardValues;
import dev.weir.agent.guard.WorkloadGuard;
import dev.weir.agent.guard.WorkloadGuardReader;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoredObject;
import dev.weir.agent.yaml.ValidationException;

/**
 * The {@code WeirWorkloadGuard} part of {@link ClusterCompiler}: reads the kind for {@code weir apply} and
 * gives the stored guards in {@code namespace/name} order (the order {@link GuardValues} numbers their rules
 * by), with the rule table that flows name them by. Stored documents are read once and kept while in use.
 * Thread-safe.
 */
final class GuardCompiler {

    private final Map<String, WorkloadGuard> read = new ConcurrentHashMap<>();

    static boolean handles(String kind) {
        return WorkloadGuard.KIND.equals(kind);
    }

    /** One document of a file ({@code index}: its 1-based place, for messages). */
    StateCompiler.ParsedObject parse(String source, JsonNode doc, int index) {
        try {
            WorkloadGuard g = WorkloadGuardReader.read(doc, source, index);
            return new StateCompiler.ParsedObject(new ObjectKey(WorkloadGuard.KIND, g.namespace(), g.name()), doc.toString());
        } catch (ValidationException e) {
            throw new PolicyInputException(e.file() == null ? source : e.file(), e.object(), e.path(), e.problem());
        }
    }

    /** Every stored guard, in {@code namespace/name} order. */
    List<WorkloadGuard> compile(List<StoredObject> objects) {
        List<StoredObject> mine = objects.stream().filter(o -> handles(o.key().kind())).toList();
        Set<String> inUse = new HashSet<>();
        mine.forEach(o -> inUse.add(cacheKey(o)));
        read.keySet().retainAll(inUse);
        List<WorkloadGuard> out = new ArrayList<>();
        for (StoredObject o : mine) {
            out.add(read.computeIfAbsent(cacheKey(o), k -> WorkloadGuardReader.parse(o.document(), o.source()).getFirst()));
        }
        out.sort(Comparator.comparing(WorkloadGuard::namespace).thenComparing(WorkloadGuard::name));
        return List.copyOf(out);
    }

    /** The rule table entries of the guards' refusals, as flows name them. */
    static List<StateView.Rule> rules(List<WorkloadGuard> guards) {
        List<StateView.Rule> out = new ArrayList<>();
        for (int i = 0; i < guards.size(); i++) {
            WorkloadGuard g = guards.get(i);
            out.add(rule(g, GuardValues.ruleId(i, GuardValues.DEFAULT), "spec.egressDefault"));
            out.add(rule(g, GuardValues.ruleId(i, GuardValues.BIND), "spec.bind"));
            for (int k = 0; k < g.egress().size(); k++) {
                out.add(rule(g, GuardValues.ruleId(i, k + 1), g.egress().get(k).path()));
            }
        }
        return out;
    }

    private static StateView.Rule rule(WorkloadGuard g, int id, String path) {
        return new StateView.Rule(id, WorkloadGuard.KIND, g.namespace(), g.name(), path);
    }

    private static String cacheKey(StoredObject o) {
        return o.source() + "\n" + o.document();
    }
}
