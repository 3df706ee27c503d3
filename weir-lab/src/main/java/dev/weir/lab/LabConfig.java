package dev.weir.lab;

import java.time.Duration;
import java.util.Objects;

import dev.weir.lab.model.NetpolModel;

/**
 * What {@link Lab#up} builds.
 *
 * @param model the model's name; only {@code netpol} exists
 * @param nodes how many nodes (1 puts every pod on node1)
 * @param readyTimeout how long to wait for every agent to answer
 * @param kvstore the weir agents' kvstore: recorded for {@code file}, started (real etcd members) for {@code etcd}
 * @param cniPods whether the pods' network comes from a CNI plugin ({@link Lab#attachPods}, after {@link Lab#up}):
 *                the lab then creates the pods' namespaces and cgroups but no veth, address or local route, and
 *                starts their agents once attached; otherwise the lab wires them itself (a lab without weir)
 * @param routing how pod traffic crosses nodes, recorded for the weir agents ({@code weir agent --routing}):
 *                {@code tunnel} or {@code native}, both done by weir, so the lab's nodes route no pod address;
 *                null: the lab routes every pod /32 and /128 via its node (a lab without weir)
 */
public record LabConfig(String model, int nodes, Duration readyTimeout, KvstoreConfig kvstore, boolean cniPods,
                        String routing) {

    public static final java.util.List<String> ROUTINGS = java.util.List.of("tunnel", "native");

    public LabConfig {
        if (!NetpolModel.NAME.equals(model)) {
            throw new IllegalArgumentException("unknown lab model '" + model + "' (models: " + NetpolModel.NAME + ")");
        }
        Objects.requireNonNull(kvstore, "kvstore");
        if (routing != null && !ROUTINGS.contains(routing)) {
            throw new IllegalArgumentException("unknown routing '" + routing + "' (tunnel or native)");
        }
    }

    /** With a file kvstore whose directory is not recorded and pods the lab wires (a lab without weir agents). */
    public LabConfig(String model, int nodes, Duration readyTimeout) {
        this(model, nodes, readyTimeout, KvstoreConfig.file(null), false, null);
    }

    /** Pods the lab wires itself. */
    public LabConfig(String model, int nodes, Duration readyTimeout, KvstoreConfig kvstore) {
        this(model, nodes, readyTimeout, kvstore, false, null);
    }

    /** The default: the netpol model on two nodes. */
    public static LabConfig defaults() {
        return new LabConfig(NetpolModel.NAME, 2, Duration.ofSeconds(60));
    }

    public LabConfig withNodes(int n) {
        return new LabConfig(model, n, readyTimeout, kvstore, cniPods, routing);
    }

    public LabConfig withKvstore(KvstoreConfig k) {
        return new LabConfig(model, nodes, readyTimeout, k, cniPods, routing);
    }

    /** The pods' network from a CNI plugin, pod traffic between nodes routed by weir ({@code tunnel} or {@code native}). */
    public LabConfig withWeir(String routingMode) {
        return new LabConfig(model, nodes, readyTimeout, kvstore, true, Objects.requireNonNull(routingMode, "routing"));
    }
}
