package dev.weir.agent.identity;

/** What an identity stands for: a reserved entity, a set of endpoint labels, or an address prefix. */
public enum IdentityKind {
    RESERVED, ENDPOINT, CIDR
}
