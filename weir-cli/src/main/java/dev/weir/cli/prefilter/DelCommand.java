package dev.weir.cli.prefilter;

import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code weir prefilter del ID… | --src …}. */
@Command(name = "del", mixinStandardHelpOptions = true,
        description = "Delete rules by id, or by the same flags that added them (all or nothing).")
final class DelCommand implements Runnable {

    @Mixin
    ScopeOptions scope;

    @Mixin
    RuleOptions rule;

    @Parameters(arity = "0..*", paramLabel = "ID", description = "Rule ids, as `weir prefilter list` shows them.")
    List<Integer> ids = List.of();

    @Override
    public void run() {
        var manager = scope.manager();
        if (!ids.isEmpty()) {
            if (!rule.empty()) {
                throw new IllegalArgumentException("give rule ids or match flags, not both");
            }
            manager.deleteIds(ids);
            System.out.println("deleted rule(s) " + ids);
        } else if (!rule.empty()) {
            var rules = rule.rules();
            manager.deleteMatching(rules);
            System.out.println("deleted " + rules.size() + " rule(s)");
        } else {
            throw new IllegalArgumentException("name the rules to delete: ids, or --src/--dst/--proto/--dport as added");
        }
    }
}
