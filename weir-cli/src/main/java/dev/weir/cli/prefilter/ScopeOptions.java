package dev.weir.cli.prefilter;

import java.util.Optional;

import dev.weir.agent.prefilter.KernelPrefilterDataplane;
import dev.weir.agent.prefilter.PrefilterManager;
import dev.weir.agent.prefilter.PrefilterStore;
import dev.weir.ebpf.netns.NetworkNamespace;
import picocli.CommandLine.Option;

/**
 * {@code --netns NAME}: which network namespace's prefilter a command acts on (default: this one). When the
 * namespace is a node's and that node's agent runs, the prefilter there is desired state and the command goes
 * through the agent ({@link NodeAgentPrefilter}); otherwise it works on the namespace directly (standalone:
 * pins under /sys/fs/bpf/weir/prefilter/NAME, rules in /run/weir/prefilter/NAME/state.json).
 */
final class ScopeOptions {

    @Option(names = "--netns", paramLabel = "NAME",
            description = {"Network namespace (as in /run/netns, e.g. a lab node's weir-node1); default: the current one.",
                    "A node's namespace whose agent runs: the command edits or reads the node's WeirPrefilter",
                    "through the agent (desired state); any other: the namespace's own prefilter."})
    String netns;

    private Optional<NodeAgentPrefilter> agent;

    /** The scope name: the namespace's name, or "host". */
    String scope() {
        return netns == null ? "host" : netns;
    }

    NetworkNamespace namespace() {
        return netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns);
    }

    /** The agent of the node this namespace belongs to, when one runs. */
    Optional<NodeAgentPrefilter> agent() {
        if (agent == null) {
            agent = NodeAgentPrefilter.find(netns);
        }
        return agent;
    }

    /** The standalone prefilter of the namespace. */
    PrefilterManager manager() {
        NetworkNamespace ns = namespace();
        return new PrefilterManager(scope(), new PrefilterStore(PrefilterStore.DEFAULT_ROOT),
                new KernelPrefilterDataplane(scope(), ns));
    }
}
