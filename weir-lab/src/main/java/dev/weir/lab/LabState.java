package dev.weir.lab;

import java.util.Map;
import java.util.List;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.weir.lab.host.LabPaths;
import dev.weir.lab.model.ExtSpec;
import dev.weir.lab.model.LabModel;
import dev.weir.lab.model.NamespaceSpec;
import dev.weir.lab.model.NodeSpec;
import dev.weir.lab.model.PodSpec;
import dev.weir.lab.model.ServiceRanges;
import dev.weir.lab.model.UnderlaySpec;

/**
 * A lab that is up: its model, its agents and its paths. This is both the content of
 * {@code /run/weir/lab/lab.json} and the {@code weir lab status -o json} document (a stable contract,
 * see weir-lab/README.md). Immutable.
 *
 * @param model the model's name
 * @param createdAt when {@code lab up} finished (ISO-8601)
 * @param agents by id ({@code ns/pod}, {@code ext}), sorted
 * @param kvstore the weir agents' kvstore (file or the lab's etcd members); absent in the state of a lab
 *                brought up before weir recorded it
 * @param routing how pod traffic crosses nodes: {@code tunnel} or {@code native} (weir's; the weir agents'
 *                {@code --routing}); absent when the lab routes pods itself (no weir)
 */
public record LabState(String model, String createdAt, List<NodeSpec> nodes, List<NamespaceSpec> namespaces,
                       List<PodSpec> pods, ExtSpec ext, UnderlaySpec underlay, ServiceRanges services,
                       Map<String, AgentState> agents, LabPaths paths,
                       @JsonInclude(JsonInclude.Include.NON_NULL) KvstoreState kvstore,
                       @JsonInclude(JsonInclude.Include.NON_NULL) String routing) {

    public LabState {
        nodes = List.copyOf(nodes);
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        agents = new TreeMap<>(agents);
    }

    static LabState of(LabModel m, String createdAt, Map<String, AgentState> agents, LabPaths paths,
                       KvstoreState kvstore, String routing) {
        return new LabState(m.model(), createdAt, m.nodes(), m.namespaces(), m.pods(), m.ext(), m.underlay(),
                m.services(), agents, paths, kvstore, routing);
    }

    /** The same state with other agents and kvstore (e.g. their liveness checked now). */
    LabState with(Map<String, AgentState> newAgents, KvstoreState newKvstore) {
        return new LabState(model, createdAt, nodes, namespaces, pods, ext, underlay, services, newAgents, paths,
                newKvstore, routing);
    }

    /** The model part, without agents and paths. */
    public LabModel labModel() {
        return new LabModel(model, namespaces, nodes, pods, ext, underlay, services);
    }
}
