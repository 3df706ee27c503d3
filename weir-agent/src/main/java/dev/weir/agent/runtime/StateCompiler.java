package dev.weir.agent.runtime;

import java.util.List;

import dev.weir.agent.endpoint.ClusterState;
import dev.weir.agent.store.ObjectKey;
import dev.weir.agent.store.StoreIdentityAllocator;
import dev.weir.agent.store.StoredObject;

/**
 * The agent's seam to the policy engine (docs/policy-engine.md): parsing documents for {@code weir apply},
 * and turning the store's objects plus the cluster into the engine's result {@code R} (the engine's
 * {@code PolicyResult}). The engine adapter implements this over {@code PolicyParser} and
 * {@code PolicyEngine.resolve} ({@link EnginePolicyCompiler}, and {@link ClusterCompiler} with services).
 * Implementations are stateless or thread-safe.
 *
 * @param <R> the engine's result type, handed unchanged to the {@link Dataplane}
 */
public interface StateCompiler<R> {

    /** One object of a parsed file: its key and its document (one object, as JSON text). */
    record ParsedObject(ObjectKey key, String document) {
    }

    /** Everything a computation reads. */
    record Input(String node, ClusterState cluster, List<StoredObject> objects, long revision,
                 StoreIdentityAllocator identities) {
        public Input {
            objects = List.copyOf(objects);
        }
    }

    /**
     * Parses and validates every document of one file (YAML, several documents separated by {@code ---}, or
     * JSON).
     *
     * @param source the file name, for messages
     * @throws PolicyInputException naming file, object and field for the first invalid document
     */
    List<ParsedObject> parse(String source, String text);

    /**
     * Drops what {@link #parse} kept of an object for the check and the computation that follow an apply, when
     * no computation will take it: the commit left it unchanged, deleted it or failed, or it was only a what-if.
     * The default keeps nothing, so forgets nothing.
     *
     * @param source the file it was parsed from, as given to {@link #parse}
     */
    default void forget(String source, ParsedObject object) {
    }

    /**
     * Checks what a commit would make of the store, before it is written (under the store's writer lock):
     * what needs every object (a ClusterIP taken twice) or this node's datapath (a state that would not
     * fit its maps). The default checks nothing.
     *
     * @param node    this node
     * @param cluster the nodes and endpoints as this agent last saw them
     * @param before  the stored objects now
     * @param after   the stored objects the commit would leave
     * @throws PolicyInputException naming file, object and field, or the map that would overflow
     */
    default void check(String node, ClusterState cluster, List<StoredObject> before, List<StoredObject> after) {
    }

    /**
     * {@link #check(String, ClusterState, List, List)}, with {@code force}: the checks an operator may override
     * ({@code weir apply --force}: the prefilter's lockout guard) are skipped. The default ignores {@code force}.
     */
    default void check(String node, ClusterState cluster, List<StoredObject> before, List<StoredObject> after,
                       boolean force) {
        check(node, cluster, before, after);
    }

    /**
     * Computes identities and per-endpoint policy for the whole cluster.
     *
     * @throws PolicyInputException when a stored object no longer parses (a newer agent wrote it)
     */
    R compile(Input input);

    /**
     * Makes the next {@link #compile} compute afresh what it keeps between computations (the sync loop's forced
     * apply: an identity may have been collected and numbered again meanwhile). The default keeps nothing.
     */
    default void computeAfresh() {
    }

    /** The parts of a result the agent shows. */
    StateView view(R result);

    /**
     * The policy engine's result inside {@code result}, for the questions only the engine answers (what decides
     * a connection: {@code diagnose.path}); null when this compiler has none (the default).
     */
    default dev.weir.agent.policy.PolicyResult policy(R result) {
        return null;
    }
}
