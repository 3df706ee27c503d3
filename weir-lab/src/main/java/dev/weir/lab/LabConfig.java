package dev.weir.lab;

import java.time.Duration;

import dev.weir.lab.model.NetpolModel;

/**
 * What {@link Lab#up} builds.
 *
 * @param model the model's name; only {@code netpol} exists
 * @param nodes how many nodes (1 puts every pod on node1)
 * @param readyTimeout how long to wait for every agent to answer
 */
public record LabConfig(String model, int nodes, Duration readyTimeout) {

    public LabConfig {
        if (!NetpolModel.NAME.equals(model)) {
            throw new IllegalArgumentException("unknown lab model '" + model + "' (models: " + NetpolModel.NAME + ")");
        }
    }

    /** The default: the netpol model on two nodes. */
    public static LabConfig defaults() {
        return new LabConfig(NetpolModel.NAME, 2, Duration.ofSeconds(60));
    }

    public LabConfig withNodes(int n) {
        return new LabConfig(model, n, readyTimeout);
    }
}
