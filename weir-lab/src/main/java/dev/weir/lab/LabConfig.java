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
 */
public record LabConfig(String model, int nodes, Duration readyTimeout, KvstoreConfig kvstore) {

    public LabConfig {
        if (!NetpolModel.NAME.equals(model)) {
            throw new IllegalArgumentException("unknown lab model '" + model + "' (models: " + NetpolModel.NAME + ")");
        }
        Objects.requireNonNull(kvstore, "kvstore");
    }

    /** With a file kvstore whose directory is not recorded (a lab without weir agents). */
    public LabConfig(String model, int nodes, Duration readyTimeout) {
        this(model, nodes, readyTimeout, KvstoreConfig.file(null));
    }

    /** The default: the netpol model on two nodes. */
    public static LabConfig defaults() {
        return new LabConfig(NetpolModel.NAME, 2, Duration.ofSeconds(60));
    }

    public LabConfig withNodes(int n) {
        return new LabConfig(model, n, readyTimeout, kvstore);
    }

    public LabConfig withKvstore(KvstoreConfig k) {
        return new LabConfig(model, nodes, readyTimeout, k);
    }
}
