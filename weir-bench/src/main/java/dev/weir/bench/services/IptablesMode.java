package dev.weir.bench.services;

import java.util.Optional;

import dev.weir.bench.prefilter.CannotRunException;

/**
 * The baseline: a kube-proxy-style iptables ruleset ({@link KubeProxyRules}) in the nat table of the
 * client pod's node, where the pod's packets to a ClusterIP go (its default route); weir's service
 * translation is off. {@link #install} loads the whole nat table with one {@code iptables-restore}
 * (table mode: the table is replaced; see RestoreTiming for why not {@code --noflush}); {@link #remove} deletes the node's {@code ip nat} table, which this mode alone created
 * (it refuses to start when the table already exists). Owns that table while installed.
 */
final class IptablesMode implements Mode {

    private final NodeShell node;
    private final ServiceSet set;
    private KubeProxyRules installed;

    /**
     * @param node the client pod's node
     * @param set  the services' endpoints (real lab pods) and the replies that name them
     */
    IptablesMode(NodeShell node, ServiceSet set) {
        this.node = node;
        this.set = set;
    }

    @Override
    public String name() {
        return "iptables";
    }

    @Override
    public Optional<String> unavailable() {
        return Optional.empty();
    }

    /** The services it serves (shared with the other modes). */
    ServiceSet serviceSet() {
        return set;
    }

    /** Refuses to run on a node whose nat table someone else uses. */
    void checkUnused() throws Exception {
        if (node.hasNatTable()) {
            throw new CannotRunException(node.netns() + " already has an nftables 'ip nat' table (someone else's rules?);"
                    + " remove it (ip netns exec " + node.netns() + " nft delete table ip nat) and run again");
        }
    }

    @Override
    public double install(int services) throws Exception {
        remove();
        KubeProxyRules rules = set.rules(services);
        double secs = node.run(rules.restoreInput(true), "iptables-restore").seconds();
        installed = rules;
        return secs;
    }

    @Override
    public Target target() {
        return set.lastOf(installed);
    }

    @Override
    public void remove() throws Exception {
        installed = null;
        node.deleteNatTable();
    }
}
