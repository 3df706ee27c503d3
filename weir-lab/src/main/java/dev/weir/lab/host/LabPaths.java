package dev.weir.lab.host;

import java.nio.file.Path;

import dev.weir.lab.model.PodRef;

/**
 * Where the lab keeps its files and cgroups. Everything under {@link #runDir} and {@link #cgroup} belongs
 * to the lab and is removed by {@code lab down}.
 *
 * @param runDir {@code /run/weir/lab}
 * @param state {@code /run/weir/lab/lab.json}, the lab's state (see README)
 * @param sockets {@code /run/weir/lab/pods}, the agents' Unix sockets ({@code x-a.sock}, {@code ext.sock})
 * @param logs {@code /run/weir/lab/logs}, the agents' logs ({@code x-a.log}, {@code ext.log})
 * @param cgroup {@code <cgroup2 mount>/weir-lab}, parent of each pod's cgroup ({@code x-a}, {@code ext})
 */
public record LabPaths(String runDir, String state, String sockets, String logs, String cgroup) {

    public static final String EXT = "ext";

    /** The standard paths; the cgroup2 mount is found in /proc/mounts. */
    public static LabPaths standard() {
        Path run = Path.of("/run/weir/lab");
        return new LabPaths(run.toString(), run.resolve("lab.json").toString(), run.resolve("pods").toString(),
                run.resolve("logs").toString(), Cgroup2.mountPoint().resolve("weir-lab").toString());
    }

    /** {@code node-node1}: the file key of a node's own agent and cgroup (the node's host processes). */
    public static String nodeKey(String node) {
        return "node-" + node;
    }

    /** {@code x-a} for a pod, {@code ext} for the external client. */
    public static String key(PodRef pod) {
        return pod == null ? EXT : pod.key();
    }

    public Path socket(String key) {
        return Path.of(sockets, key + ".sock");
    }

    public Path log(String key) {
        return Path.of(logs, key + ".log");
    }

    /** A node's {@code /opt/cni/bin}: {@code <runDir>/cni/<node>/bin}. */
    public Path cniBin(String node) {
        return Path.of(runDir, "cni", node, "bin");
    }

    /** A node's {@code /etc/cni/net.d}: {@code <runDir>/cni/<node>/net.d}. */
    public Path cniConf(String node) {
        return Path.of(runDir, "cni", node, "net.d");
    }

    public Path cgroupOf(String key) {
        return Path.of(cgroup, key);
    }
}
