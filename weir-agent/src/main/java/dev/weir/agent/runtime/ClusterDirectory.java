package dev.weir.agent.runtime;

import java.util.Map;

import dev.weir.agent.cluster.NodeRecord;

/**
 * What an agent knows of the other nodes' agents: with the file store, nothing (the CLI asks every agent
 * of the machine itself); with etcd, every node's published record ({@link NodeRecord}), so that any agent
 * can answer for the whole cluster. Implementations are thread-safe.
 */
public interface ClusterDirectory {

    /** The file store's: no node records. */
    ClusterDirectory FILE = new ClusterDirectory() {
        @Override
        public String kind() {
            return "file";
        }

        @Override
        public Map<String, Object> health() {
            return Map.of("kind", "file");
        }

        @Override
        public Map<String, NodeRecord> nodes() {
            return Map.of();
        }
    };

    /** {@code file} or {@code etcd}. */
    String kind();

    /** The kvstore as the agent sees it: kind, endpoints, whether its view is current, the last error. */
    Map<String, Object> health();

    /** Every node with a live record, by name; empty with the file store. */
    Map<String, NodeRecord> nodes();
}
