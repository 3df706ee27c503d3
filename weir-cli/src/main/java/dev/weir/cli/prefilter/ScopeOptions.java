package dev.weir.cli.prefilter;

import dev.weir.agent.prefilter.KernelPrefilterDataplane;
import dev.weir.agent.prefilter.PrefilterManager;
import dev.weir.agent.prefilter.PrefilterStore;
import dev.weir.ebpf.netns.NetworkNamespace;
import picocli.CommandLine.Option;

/** {@code --netns NAME}: which network namespace's prefilter a command acts on (default: this one). */
final class ScopeOptions {

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Network namespace (as in /run/netns, e.g. a lab node's weir-node1); default: the current one.")
    String netns;

    /** The scope name: the namespace's name, or "host". */
    String scope() {
        return netns == null ? "host" : netns;
    }

    NetworkNamespace namespace() {
        return netns == null ? NetworkNamespace.current() : NetworkNamespace.named(netns);
    }

    PrefilterManager manager() {
        NetworkNamespace ns = namespace();
        return new PrefilterManager(scope(), new PrefilterStore(PrefilterStore.DEFAULT_ROOT),
                new KernelPrefilterDataplane(scope(), ns));
    }
}
