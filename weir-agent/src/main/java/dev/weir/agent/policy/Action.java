package dev.weir.agent.policy;

/** What a policy entry does; the datapath's {@code pol_val.action}: 1 allow, 2 deny. */
public enum Action {
    ALLOW, DENY;

    public int code() {
        return ordinal() + 1;
    }
}
