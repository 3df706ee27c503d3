package dev.weir.agent.prefilter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** A prefilter dataplane in memory: interfaces that exist, links, the maps' rules, counter resets. For tests. */
public final class FakePrefilterDataplane implements PrefilterDataplane {
    final Set<String> interfaces;
    final Map<String, String> links = new TreeMap<>();
    boolean loaded;
    CompiledRules maps = CompiledRules.EMPTY;
    final List<Integer> resets = new ArrayList<>();
    int writes;

    public FakePrefilterDataplane(String... interfaces) {
        this.interfaces = Set.of(interfaces);
    }

    @Override
    public boolean loaded() {
        return loaded;
    }

    @Override
    public void load(Capacity capacity) {
        loaded = true;
    }

    @Override
    public void checkInterface(String iface) {
        if (!interfaces.contains(iface)) {
            throw new IllegalArgumentException("no interface " + iface + " in network namespace weir-node2");
        }
    }

    @Override
    public String attach(String iface, String mode) {
        checkInterface(iface);
        if (links.containsKey(iface)) {
            throw new IllegalArgumentException("the prefilter is already attached to " + iface);
        }
        String used = mode.equals("auto") ? "native" : mode;
        links.put(iface, used);
        return used;
    }

    @Override
    public boolean detach(String iface) {
        return links.remove(iface) != null;
    }

    @Override
    public List<String> attached() {
        return List.copyOf(links.keySet());
    }

    @Override
    public void apply(CompiledRules previous, CompiledRules next) {
        assertThat(previous).as("the diff starts from what the maps hold").isEqualTo(maps);
        maps = next;
        writes++;
    }

    @Override
    public void rewrite(CompiledRules all) {
        maps = all;
        writes++;
    }

    @Override
    public Map<Integer, long[]> reasonCounters() {
        return Map.of(128, new long[] {3, 300});
    }

    @Override
    public Map<Integer, long[]> wouldDropCounters() {
        return Map.of(128, new long[] {2, 200});
    }

    @Override
    public Map<Integer, long[]> ruleCounters(List<Integer> ruleIds) {
        Map<Integer, long[]> out = new HashMap<>();
        ruleIds.forEach(id -> out.put(id, new long[] {id, id * 100L}));
        return out;
    }

    @Override
    public void resetRuleCounters(List<Integer> ruleIds) {
        resets.addAll(ruleIds);
    }

    /** The ports pf_syn_ports lists, as the last call left them. */
    public List<Integer> synProxy = List.of();

    @Override
    public void synProxyPorts(List<Integer> was, List<Integer> ports) {
        synProxy = List.copyOf(ports);
    }

    @Override
    public Map<Integer, long[]> tcpCounters() {
        return Map.of();
    }

    @Override
    public void destroy() {
        links.clear();
        loaded = false;
        maps = CompiledRules.EMPTY;
    }

    /** The last {@link #redirect} call's pods (null: emptied). */
    List<RedirectPod> redirectPods;

    @Override
    public int redirect(List<String> ifaces, List<RedirectPod> pods) {
        redirectPods = pods == null ? null : List.copyOf(pods);
        return 0;
    }

    @Override
    public Map<Integer, long[]> redirectCounters() {
        return Map.of();
    }
}
