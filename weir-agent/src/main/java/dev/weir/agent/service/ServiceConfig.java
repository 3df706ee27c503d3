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

    /**
     * What an agent uses when it is told nothing: 10.96.0.0/16 and fd00:10:96::/112 for ClusterIPs, NodePorts
     * 30000-32767 (kube-apiserver's default range), LoadBalancer and external IPs anywhere.
     */
    public static ServiceConfig defaults() {
        return new ServiceConfig(List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:10:96::/112")),
                new PortRange(30000, 32767), List.of(), Maglev.DEFAULT_M, 131071);
    }

    /**
     * From flags: service CIDRs (one per family at most), {@code FROM-TO} NodePorts, external pools; any of them
     * null or empty takes the default's.
     *
     * @throws IllegalArgumentException naming the value that is wrong
     */
    public static ServiceConfig of(List<String> serviceCidrs, String nodePorts, List<String> externalPools) {
        ServiceConfig d = defaults();
        List<Cidr> ranges = serviceCidrs == null || serviceCidrs.isEmpty() ? d.serviceRanges()
                : serviceCidrs.stream().map(c -> parseCidr(c, "--service-cidr")).toList();
        if (ranges.stream().filter(c -> c.family() == 4).count() > 1 || ranges.stream().filter(c -> c.family() == 6).count() > 1) {
            throw new IllegalArgumentException("--service-cidr: at most one range per family, not " + serviceCidrs);
        }
        PortRange ports = d.nodePorts();
        if (nodePorts != null && !nodePorts.isBlank()) {
            String[] p = nodePorts.split("-");
            try {
                if (p.length != 2) {
                    throw new IllegalArgumentException("not FROM-TO");
                }
                ports = new PortRange(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--node-port-range: expected FROM-TO (e.g. 30000-32767), not '" + nodePorts + "'");
            }
        }
        List<Cidr> pools = externalPools == null ? List.of() : externalPools.stream().map(c -> parseCidr(c, "--external-pool")).toList();
        return new ServiceConfig(ranges, ports, pools, d.defaultMaglevM(), d.maxMaglevM());
    }

    private static Cidr parseCidr(String text, String flag) {
        try {
            return Cidr.parse(text.strip());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(flag + ": '" + text + "' is not a CIDR (" + e.getMessage() + ")");
        }
    }

    /** The service range of a family, or null when none is configured. */
    public Cidr serviceRange(IpFamily family) {
        return serviceRanges.stream().filter(c -> c.family() == (family == IpFamily.IPV4 ? 4 : 6)).findFirst().orElse(null);
    }
}
