package dev.weir.cli.diagnose;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.weir.cli.UserError;
import dev.weir.cli.agent.AgentDirectory;

/**
 * Reads the {@link Facts} of this machine's agents (all, or one node's): agents first ({@link AgentReader}), then
 * what the kernel has on their nodes ({@link KernelReader}), then what weir's objects need ({@link ObjectNeeds}).
 * Reads only; a part that cannot be read leaves its facts empty and its checks say so.
 */
final class FactsReader {

    private FactsReader() {
    }

    /**
     * @param node one node's agent, or null for every agent of this machine
     * @throws UserError when {@code node} has no agent
     */
    static Facts read(String node, String cliVersion) {
        List<AgentDirectory.Agent> all = AgentDirectory.all();
        Map<String, String> stopped = AgentDirectory.failed();
        all.forEach(a -> stopped.remove(a.node()));
        if (node != null) {
            if (all.stream().noneMatch(a -> a.node().equals(node)) && !stopped.containsKey(node)) {
                throw new UserError("no agent for node " + node + " (agents: " + String.join(", ",
                        all.stream().map(AgentDirectory.Agent::node).toList()) + ")");
            }
            all = all.stream().filter(a -> a.node().equals(node)).toList();
            stopped.keySet().removeIf(n -> !n.equals(node));
        }
        AgentReader agents = new AgentReader(all, stopped);
        List<Facts.Agent> read = agents.read();
        KernelReader kernel = new KernelReader(read);
        List<Facts.Route> routes = kernel.routes();
        return new Facts(cliVersion, Instant.now(), read, agents.records(), orEmpty(kernel::hooks), routes,
                kernel.mtus(routes), orEmpty(ObjectNeeds::read), orEmpty(KernelReader::maps));
    }

    /** What a reader gives, or nothing when the kernel refuses (not root, no BPF): the checks then skip. */
    private static <T> List<T> orEmpty(java.util.function.Supplier<List<T>> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
