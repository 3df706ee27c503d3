package dev.weir.cli.prefilter;

import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code weir prefilter del ID… | --src …}. */
@Command(name = "del", mixinStandardHelpOptions = true,
        description = {"Delete rules by id, or by the same flags that added them (all or nothing).",
                "On a node's namespace whose agent runs, the rules leave the node's WeirPrefilter",
                "imperative-<node>; a rule another WeirPrefilter gives is changed in that object (weir apply)."})
final class DelCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Mixin
    ForceOption force;

    @Mixin
    RuleOptions rule;

    @Parameters(arity = "0..*", paramLabel = "ID", description = "Rule ids, as `weir prefilter list` shows them.")
    List<Integer> ids = List.of();

    @Override
    public void run() {
        if (!ids.isEmpty() && !rule.empty()) {
            throw new IllegalArgumentException("give rule ids or match flags, not both");
        }
        if (ids.isEmpty() && rule.empty()) {
            throw new IllegalArgumentException("name the rules to delete: ids, or --src/--dst/--proto/--dport as added");
        }
        var agent = scope.agent();
        if (agent.isPresent()) {
            var params = NodeAgentPrefilter.op("delete");
            if (!ids.isEmpty()) {
                ids.forEach(params.putArray("ids")::add);
            } else {
                NodeAgentPrefilter.withRules(params, rule.rules());
            }
            var edited = agent.get().edit(force.on(params));
            System.out.println(ids.isEmpty() ? "deleted " + params.path("rules").size() + " rule(s)" : "deleted rule(s) " + ids);
            System.out.println(edited.summary());
            return;
        }
        var manager = scope.manager();
        if (!ids.isEmpty()) {
            manager.deleteIds(ids);
            System.out.println("deleted rule(s) " + ids);
        } else {
            var rules = rule.rules();
            manager.deleteMatching(rules);
            System.out.println("deleted " + rules.size() + " rule(s)");
        }
    }
}
