package dev.weir.cli.prefilter;

import dev.weir.agent.prefilter.PrefilterRule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code weir prefilter add …}. */
@Command(name = "add", mixinStandardHelpOptions = true, description = {
        "Add rules (all or nothing). Examples:",
        "  weir prefilter add --src 203.0.113.0/24",
        "  weir prefilter add --proto udp --dport 53 --dst 192.0.2.0/24",
        "  weir prefilter add --action allow --proto tcp --dport 80-81"})
final class AddCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Mixin
    RuleOptions rule;

    @Override
    public void run() {
        if (rule.empty()) {
            throw new IllegalArgumentException("say what the rule matches: --src, --dst, --src-file, --proto, --dport");
        }
        var added = scope.manager().add(rule.rules());
        if (added.size() <= 10) {
            for (PrefilterRule r : added) {
                System.out.println("added rule " + r.id() + ": " + r.describe());
            }
        } else {
            System.out.println("added " + added.size() + " rules (ids " + added.getFirst().id() + ".." + added.getLast().id() + ")");
        }
    }
}
