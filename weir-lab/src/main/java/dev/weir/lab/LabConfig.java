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
 */
public record LabConfig(String model, int nodes, Duration readyTimeout, KvstoreConfig kvstore, boolean cniPods) {

    public LabConfig {
        if (!NetpolModel.NAME.equals(model)) {
            throw new IllegalArgumentException("unknown lab model '" + model + "' (models: " + NetpolModel.NAME + ")");
        }
        Objects.requireNonNull(kvstore, "kvstore");
    }

    /** With a file kvstore whose directory is not recorded and pods the lab wires (a lab without weir agents). */
    public LabConfig(String model, int nodes, Duration readyTimeout) {
        this(model, nodes, readyTimeout, KvstoreConfig.file(null), false);
    }

    /** Pods the lab wires itself. */
    public LabConfig(String model, int nodes, Duration readyTimeout, KvstoreConfig kvstore) {
        this(model, nodes, readyTimeout, kvstore, false);
    }

    /** The default: the netpol model on two nodes. */
    public static LabConfig defaults() {
        return new LabConfig(NetpolModel.NAME, 2, Duration.ofSeconds(60));
    }

    public LabConfig withNodes(int n) {
        return new LabConfig(model, n, readyTimeout, kvstore, cniPods);
    }

    public LabConfig withKvstore(KvstoreConfig k) {
        return new LabConfig(model, nodes, readyTimeout, k, cniPods);
    }

    /** The pods' network from a CNI plugin. */
    public LabConfig withCniPods() {
        return new LabConfig(model, nodes, readyTimeout, kvstore, true);
    }
}
