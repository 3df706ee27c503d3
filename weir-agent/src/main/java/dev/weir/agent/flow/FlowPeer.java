package dev.weir.agent.flow;

import java.util.List;

/**
 * One side of a flow, decorated: its identity and, for a pod, namespace, name and labels (Hubble's
 * {@code Endpoint}: labels as {@code k8s:key=value} strings, sorted). Immutable.
 *
 * @param namespace null when the peer is not a known pod
 * @param podName   null when the peer is not a known pod
 */
public record FlowPeer(int identity, String namespace, String podName, List<String> labels) {
    public FlowPeer {
        labels = List.copyOf(labels);
    }

    /** {@code ns/pod}, or null. */
    public String podKey() {
        return podName == null ? null : namespace + "/" + podName;
    }
}
