package dev.weir.agent.endpoint;

import dev.weir.agent.runtime.Component;

/**
 * Where the agent learns the cluster's workloads: this node's from weir-cni ({@link dev.weir.agent.cni.CniEndpoints}),
 * the others' from the kvstore ({@link KvstoreEndpointSource}); the Kubernetes API server later. The sync loop calls {@link #read} whenever it looks for changes, so an
 * implementation should answer quickly (cache, or read a small file). Thread-safe.
 */
public interface EndpointSource extends Component {

    /**
     * The cluster as it is now; {@link ClusterState#EMPTY} when there is nothing (yet).
     *
     * @throws EndpointSourceException when the source exists but cannot be read
     */
    ClusterState read();

    @Override
    default void start() {
    }

    @Override
    default void stop() {
    }

    /** The source cannot be read; the message names it and the cause. */
    final class EndpointSourceException extends RuntimeException {
        public EndpointSourceException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
