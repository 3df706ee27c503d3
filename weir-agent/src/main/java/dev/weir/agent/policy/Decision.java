package dev.weir.agent.policy;

/**
 * The verdict on a new connection: the source's egress hook and the destination's ingress hook each
 * decide (a side that is not an endpoint has no hook: {@link Hook#NONE}); a deny or drop on either side
 * denies, an audit pass on either side (and no drop) audits. Immutable.
 *
 * @param rule the rule that decided (the denying side's, else the auditing side's, else the ingress
 *             side's allowing rule, else the egress side's), 0 = none
 */
public record Decision(Verdict verdict, int rule, Hook egress, Hook ingress) {

    /** Outcome of a connection. */
    public enum Verdict { ALLOWED, DENIED, AUDIT }

    /** Why one hook passed or dropped, named after the datapath's reason codes. */
    public enum Reason { NO_ENDPOINT, PASS_NO_POLICY, PASS_POLICY, PASS_AUDIT, DROP_POLICY, DROP_POLICY_DENY }

    /** One hook's verdict. */
    public record Hook(Verdict verdict, Reason reason, int rule) {
        public static final Hook NONE = new Hook(Verdict.ALLOWED, Reason.NO_ENDPOINT, 0);
    }

    static Decision combine(Hook egress, Hook ingress) {
        for (Hook h : new Hook[] {egress, ingress}) {
            if (h.verdict() == Verdict.DENIED) {
                return new Decision(Verdict.DENIED, h.rule(), egress, ingress);
            }
        }
        for (Hook h : new Hook[] {egress, ingress}) {
            if (h.verdict() == Verdict.AUDIT) {
                return new Decision(Verdict.AUDIT, h.rule(), egress, ingress);
            }
        }
        return new Decision(Verdict.ALLOWED, ingress.rule() != 0 ? ingress.rule() : egress.rule(), egress, ingress);
    }
}
