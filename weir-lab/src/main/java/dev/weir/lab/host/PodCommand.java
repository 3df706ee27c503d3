package dev.weir.lab.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs something inside a pod: a shell moves itself into the pod's cgroup, then
 * execs {@code nsenter --net=/run/netns/NAME} (which keeps the host's mounts, unlike
 * {@code ip netns exec}), which execs the command. The pid of the started process is the command's.
 * Stateless.
 */
public final class PodCommand {

    private static final String MOVE_THEN_EXEC = "echo $$ > \"$1\" || exit 125; shift; exec \"$@\"";

    private PodCommand() {
    }

    /** {@code sh -c … CGROUP/cgroup.procs nsenter --net=… -- COMMAND…}; exit 125 when the move fails. */
    public static List<String> wrap(Path cgroup, String netns, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", MOVE_THEN_EXEC, "weir-lab",
                cgroup.resolve("cgroup.procs").toString(), "nsenter", "--net=" + Netns.file(netns), "--"));
        argv.addAll(command);
        return argv;
    }
}
