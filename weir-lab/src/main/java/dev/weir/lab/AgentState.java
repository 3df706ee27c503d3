package dev.weir.lab;

/**
 * A running agent: the process that is a pod (or the external client).
 *
 * @param id {@code ns/pod} or {@code ext}
 * @param pid the agent JVM's pid
 * @param socket its Unix control socket
 * @param log its log file
 * @param cgroup its cgroup directory
 * @param alive whether the process was running when this was read (always true in lab.json)
 */
public record AgentState(String id, long pid, String socket, String log, String cgroup, boolean alive) {

    public AgentState withAlive(boolean now) {
        return new AgentState(id, pid, socket, log, cgroup, now);
    }
}
