package dev.weir.agent.policy;

/**
 * Which verdict one {@code pol} key keeps when several entries give it one: a deny over an allow, then the
 * lowest rule id, where 0 ("none") loses to any rule so that a flow can name the policy. The engine's merge
 * of equal entries, {@link PolicyPrefixes}' merge of equal keys and the reference evaluator's choice among
 * matches of one length all ask here. Stateless.
 */
final class Precedence {

    private Precedence() {
    }

    /** True when the verdict ({@code action}, {@code rule}) is kept over ({@code otherAction}, {@code otherRule}), or ties with it. */
    static boolean keeps(Action action, int rule, Action otherAction, int otherRule) {
        if (action != otherAction) {
            return action == Action.DENY;
        }
        if (rule == 0 || otherRule == 0) {
            return otherRule == 0;
        }
        return rule <= otherRule;
    }
}
