package dev.weir.agent.prefilter;

import java.util.List;
import java.util.Map;

/**
 * The kernel side of one prefilter scope (a network namespace, or the host): the loaded program, its
 * pinned maps and its XDP links. {@link PrefilterManager} drives it; tests drive the manager with a
 * fake. Implementations throw the ebpf library's exceptions (with errno) on kernel errors.
 */
public interface PrefilterDataplane {

    /** True when the scope's maps are pinned (the prefilter was attached somewhere and not torn down). */
    boolean loaded();

    /** Loads the program and pins its maps sized by the capacity, reusing compatible pinned maps. */
    void load(Capacity capacity);

    /**
     * Checks that the interface exists in the scope's namespace, before anything is loaded.
     *
     * @throws IllegalArgumentException naming the interface and the namespace
     */
    void checkInterface(String iface);

    /**
     * Attaches to the interface (resolved in the scope's namespace) and pins the link.
     *
     * @param mode native, generic or auto
     * @return the mode actually used: native or generic
     * @throws IllegalArgumentException when the interface does not exist in the scope
     */
    String attach(String iface, String mode);

    /** Detaches from the interface (unpins and closes the link); false when weir was not attached there. */
    boolean detach(String iface);

    /** Interfaces with a pinned weir link in this scope. */
    List<String> attached();

    /** Brings the inactive generation from {@code previous} to {@code next}, flips to it, then syncs the other. */
    void apply(CompiledRules previous, CompiledRules next);

    /** Writes both generations from scratch (after a load, when map contents are unknown). */
    void rewrite(CompiledRules all);

    /** Per-reason totals summed over CPUs: reason code to {packets, bytes}. */
    Map<Integer, long[]> reasonCounters();

    /** Dry-run drops (passed, would have dropped) per reason, summed over CPUs: reason code to {packets, bytes}. */
    Map<Integer, long[]> wouldDropCounters();

    /** Per-rule totals summed over CPUs, for the given rule ids (0 = unattributed). */
    Map<Integer, long[]> ruleCounters(List<Integer> ruleIds);

    /** Zeroes the hit counters of rule ids about to be (re)used by new rules. */
    void resetRuleCounters(List<Integer> ruleIds);

    /**
     * Makes {@code pf_syn_ports} list exactly {@code ports} (the TCP ports the SYN proxy answers for), given the
     * ports it listed before ({@code was}; empty after a load).
     */
    void synProxyPorts(List<Integer> was, List<Integer> ports);

    /**
     * The per-CPU TCP counters ({@code pf_tcp}): entry (0 SYNs, 1 cookies sent, 2 valid cookie ACKs) to packets
     * per CPU; empty when the pins predate them.
     */
    Map<Integer, long[]> tcpCounters();

    /**
     * The redirect stage's maps ({@code pf_rdr_if}, {@code pf_rdr_ep}, {@code pf_devmap}): with {@code pods}
     * non-null, exactly the attached interfaces {@code ifaces} and those pods, resolved and written in the scope's
     * network namespace (a devmap entry names a device of its writer's namespace); with null, emptied. Writes only
     * what differs; nothing when the maps are not loaded.
     *
     * @return entries written and deleted
     */
    int redirect(List<String> ifaces, List<RedirectPod> pods);

    /** The redirect stage's per-outcome counters ({@code pf_rdr_stats}) summed over CPUs; empty when not loaded. */
    Map<Integer, long[]> redirectCounters();

    /** Removes every pin of this scope (links first, so the program detaches, then maps). */
    void destroy();
}
