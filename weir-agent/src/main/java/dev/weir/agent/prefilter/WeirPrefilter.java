package dev.weir.agent.prefilter;

import java.util.List;
import java.util.Map;

import dev.weir.agent.policy.LabelSelector;

/**
 * A {@code weir.dev/v1 WeirPrefilter}: the XDP prefilter as desired state, cluster-scoped. Every node its
 * selector picks attaches the prefilter to the named interfaces (in the node's network namespace) and
 * enforces the rules; several objects that select one node merge ({@link PrefilterMerge}). Read strictly by
 * {@link WeirPrefilterReader}, written back by {@link #toDocument}. Immutable.
 *
 * @param name         metadata.name
 * @param source       the file it was applied from (for messages), or empty
 * @param nodeSelector which nodes, as a Kubernetes label selector over the nodes' labels ({@link #labelsOf});
 *                     null: every node
 * @param interfaces   interfaces to attach to, in order, no duplicates; may be empty (rules only)
 * @param xdpMode      native, generic or auto; null when the object does not say (auto)
 * @param mode         denylist or allowlist; null when the object does not say (denylist)
 * @param rateLimit    packets per second per source; null when the object does not say (0: none)
 * @param burst        token bucket size; null when the object does not say (the rate)
 * @param sampleEvery  1 in N drops becomes an event; null when the object does not say (1)
 * @param rules        the rules, ids 0, in the object's order (one per prefix)
 * @param dryRun       the whole prefilter in dry run (drops counted, packets passed); null when the object does
 *                     not say (false)
 * @param force        true: the lockout guard lets this object drop protected traffic ({@link LockoutGuard});
 *                     null when the object does not say (false)
 * @param synProxy     TCP ports whose SYNs the prefilter answers with SYN cookies (the SYN-flood defence,
 *                     docs/prefilter-datapath.md), sorted, no duplicates; empty: none
 * @param redirect     the redirect stage: packets of established, allowed TCP connections to the node's pods go
 *                     to the pod's veth with XDP_REDIRECT (docs/prefilter-datapath.md); null when the object does
 *                     not say (off)
 */
public record WeirPrefilter(String name, String source, LabelSelector nodeSelector, List<String> interfaces,
                            String xdpMode, PrefilterSettings.Mode mode, Long rateLimit, Long burst, Long sampleEvery,
                            List<PrefilterRule> rules, Boolean dryRun, Boolean force, List<Integer> synProxy,
                            Boolean redirect) {

    public static final String API_VERSION = "weir.dev/v1";
    public static final String KIND = "WeirPrefilter";
    /** The label every node has, its name as value (Kubernetes sets it on every node). */
    public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

    public WeirPrefilter {
        source = source == null ? "" : source;
        interfaces = List.copyOf(interfaces);
        rules = rules.stream().map(r -> r.withId(0)).toList();
        synProxy = synProxy == null ? List.of() : synProxy.stream().distinct().sorted().toList();
    }

    /** An object that does not say whether the redirect stage is on. */
    public WeirPrefilter(String name, String source, LabelSelector nodeSelector, List<String> interfaces,
                         String xdpMode, PrefilterSettings.Mode mode, Long rateLimit, Long burst, Long sampleEvery,
                         List<PrefilterRule> rules, Boolean dryRun, Boolean force, List<Integer> synProxy) {
        this(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, rules, dryRun, force,
                synProxy, null);
    }

    /** An object that does not say whether it is forced, without SYN proxy ports. */
    public WeirPrefilter(String name, String source, LabelSelector nodeSelector, List<String> interfaces,
                         String xdpMode, PrefilterSettings.Mode mode, Long rateLimit, Long burst, Long sampleEvery,
                         List<PrefilterRule> rules, Boolean dryRun) {
        this(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, rules, dryRun, null, null);
    }

    /** True when the object overrides the lockout guard ({@code spec.force: true}). */
    public boolean forced() {
        return Boolean.TRUE.equals(force);
    }

    /** An object that does not say whether the prefilter is in dry run. */
    public WeirPrefilter(String name, String source, LabelSelector nodeSelector, List<String> interfaces,
                         String xdpMode, PrefilterSettings.Mode mode, Long rateLimit, Long burst, Long sampleEvery,
                         List<PrefilterRule> rules) {
        this(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, rules, null);
    }

    /** The labels a node is selected by: {@code kubernetes.io/hostname=<node>}. */
    public static Map<String, String> labelsOf(String node) {
        return Map.of(HOSTNAME_LABEL, node);
    }

    /** True when the object applies to the node. */
    public boolean selects(String node) {
        return nodeSelector == null || nodeSelector.matches(labelsOf(node));
    }

    /** {@code WeirPrefilter deny-doc-nets}. */
    public String ref() {
        return KIND + " " + name;
    }

    /** {@code WeirPrefilter deny-doc-nets (file.yaml)}, for messages. */
    public String describe() {
        return ref() + (source.isEmpty() ? "" : " (" + source + ")");
    }

    /** The object as a JSON document that {@link WeirPrefilterReader} reads back to an equal object. */
    public String toDocument() {
        return WeirPrefilterWriter.write(this);
    }

    public WeirPrefilter withInterfaces(List<String> i) {
        return new WeirPrefilter(name, source, nodeSelector, i, xdpMode, mode, rateLimit, burst, sampleEvery, rules, dryRun, force, synProxy, redirect);
    }

    public WeirPrefilter withXdpMode(String m) {
        return new WeirPrefilter(name, source, nodeSelector, interfaces, m, mode, rateLimit, burst, sampleEvery, rules, dryRun, force, synProxy, redirect);
    }

    public WeirPrefilter withRules(List<PrefilterRule> r) {
        return new WeirPrefilter(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, r, dryRun, force, synProxy, redirect);
    }

    public WeirPrefilter withForce(Boolean f) {
        return new WeirPrefilter(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, rules, dryRun, f, synProxy, redirect);
    }

    public WeirPrefilter withSynProxy(List<Integer> ports) {
        return new WeirPrefilter(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, rules, dryRun, force, ports, redirect);
    }

    public WeirPrefilter withSettings(PrefilterSettings.Mode m, Long rate, Long b, Long sample, Boolean dry) {
        return new WeirPrefilter(name, source, nodeSelector, interfaces, xdpMode, m, rate, b, sample, rules, dry, force, synProxy, redirect);
    }

    public WeirPrefilter withRedirect(Boolean on) {
        return new WeirPrefilter(name, source, nodeSelector, interfaces, xdpMode, mode, rateLimit, burst, sampleEvery, rules, dryRun, force, synProxy, on);
    }
}
