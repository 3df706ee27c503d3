package dev.weir.cli.prefilter;

import java.util.List;
import java.util.Map;

import dev.weir.agent.prefilter.PrefilterRule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir prefilter add …}. */
@Command(name = "add", mixinStandardHelpOptions = true, description = {
        "Add rules (all or nothing). Examples:",
        "  weir prefilter add --src 203.0.113.0/24",
        "  weir prefilter add --proto udp --dport 53 --dst 192.0.2.0/24",
        "  weir prefilter add --action allow --proto tcp --dport 80-81",
        "  weir prefilter add --dry-run --src 198.51.100.0/24     (counted as would-drop, passed)",
        "On a node's namespace whose agent runs (e.g. --netns weir-node1 in the lab), the rules go into the",
        "node's WeirPrefilter imperative-<node> (desired state, kept in the store); the command returns once",
        "every agent enforces it."})
final class AddCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Mixin
    ForceOption force;

    @Mixin
    RuleOptions rule;

    @Override
    public void run() {
        if (rule.empty()) {
            throw new IllegalArgumentException("say what the rule matches: --src, --dst, --src-file, --proto, --dport");
        }
        List<PrefilterRule> rules = rule.rules();
        var agent = scope.agent();
        if (agent.isPresent()) {
            var edited = agent.get().edit(force.on(NodeAgentPrefilter.withRules(NodeAgentPrefilter.op("add"), rules)));
            Map<PrefilterRule, Integer> ids = NodeAgentPrefilter.ids(edited.status());
            print(rules.stream().map(r -> r.withId(ids.getOrDefault(r.withId(0), 0))).toList());
            System.out.println(edited.summary());
            return;
        }
        print(scope.manager().add(rules));
    }

    private static void print(List<PrefilterRule> added) {
        if (added.size() <= 10) {
            for (PrefilterRule r : added) {
                System.out.println("added rule " + r.id() + ": " + r.describe());
            }
        } else {
            System.out.println("added " + added.size() + " rules (ids " + added.getFirst().id() + ".." + added.getLast().id() + ")");
        }
    }
}
