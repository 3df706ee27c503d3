package dev.weir.agent.service;

import java.util.List;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.PortRange;

/**
 * Cluster-wide settings the service control plane validates against. Immutable.
 *
 * @param serviceRanges   where ClusterIPs must lie (one prefix per family at most)
 * @param nodePorts       the NodePort range
 * @param externalPools   where LoadBalancer ingress IPs and externalIPs must lie; empty means anywhere
 * @param defaultMaglevM  the Maglev table size when a service does not set one (prime)
 * @param maxMaglevM      the largest table size a service may ask for
 */
public record ServiceConfig(List<Cidr> serviceRanges, PortRange nodePorts, List<Cidr> externalPools,
                            int defaultMaglevM, int maxMaglevM) {

    public ServiceConfig {
        serviceRanges = List.copyOf(serviceRanges);
        externalPools = List.copyOf(externalPools);
        if (!Maglev.isPrime(defaultMaglevM)) {
            throw new IllegalArgumentException("default Maglev table size " + defaultMaglevM + " is not prime");
        }
    }

    /** The lab's settings (DESIGN.md): 10.96.0.0/16, fd00:10:96::/112, 30000-32767, the two /28 pools. */
    public static ServiceConfig lab() {
        return new ServiceConfig(List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:10:96::/112")),
                new PortRange(30000, 32767), List.of(Cidr.parse("203.0.113.0/28"), Cidr.parse("203.0.113.16/28")),
                Maglev.DEFAULT_M, 131071);
    }

    /** The service range of a family, or null when none is configured. */
    public Cidr serviceRange(IpFamily family) {
        return serviceRanges.stream().filter(c -> c.family() == (family == IpFamily.IPV4 ? 4 : 6)).findFirst().orElse(null);
    }
}
