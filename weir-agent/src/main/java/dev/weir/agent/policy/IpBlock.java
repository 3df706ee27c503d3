package dev.weir.agent.policy;

import java.util.List;

import dev.weir.agent.net.Cidr;

/**
 * An address range peer: the addresses in {@code cidr} outside every {@code except} prefix. Each except
 * lies inside the cidr (the parser checks it). Immutable.
 */
public record IpBlock(Cidr cidr, List<Cidr> except) {
    public IpBlock {
        except = List.copyOf(except);
    }

    /** True when the address (4 or 16 bytes) is in the block. */
    public boolean containsAddress(byte[] ip) {
        return cidr.containsAddress(ip) && except.stream().noneMatch(e -> e.containsAddress(ip));
    }

    @Override
    public String toString() {
        return except.isEmpty() ? cidr.toString() : cidr + " except " + except;
    }
}
