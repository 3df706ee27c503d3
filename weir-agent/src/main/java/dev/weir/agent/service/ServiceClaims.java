package dev.weir.agent.service;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.weir.agent.cluster.Node;
import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;
import dev.weir.agent.yaml.ValidationException;

/**
 * What services have taken, for the cross-object checks of {@link ServiceCatalog}: ClusterIPs, NodePorts per
 * protocol, and every frontend (address, port, protocol; node addresses × NodePorts included). A service is
 * {@link #add}ed (checked against what the others took, and against the ranges and pools) and can be
 * {@link #remove}d again, so that an index of the cluster's services is kept up to date one service at a time:
 * checking a change costs what it changes. Not thread-safe.
 */
public final class ServiceClaims {

    /** One key a service took, to give back on {@link #remove}. */
    private record Claim(int table, Object key) {
    }

    private final ServiceConfig config;
    private final List<IpAddress> nodeAddresses = new ArrayList<>();
    private final Map<IpAddress, Service> clusterIps = new HashMap<>();
    private final Map<String, Service> nodePorts = new HashMap<>();
    private final Map<String, String> frontends = new HashMap<>();
    private final Map<String, List<Claim>> claimed = new HashMap<>();

    public ServiceClaims(ServiceConfig config, List<Node> nodes) {
        this.config = config;
        for (Node n : nodes) {
            for (String a : new String[] {n.ipv4(), n.ipv6()}) {
                if (a != null) {
                    nodeAddresses.add(IpAddress.parse(a));
                }
            }
        }
    }

    /** True when {@code s} (by key) holds claims. */
    public boolean contains(String serviceKey) {
        return claimed.containsKey(serviceKey);
    }

    /**
     * Checks {@code s} against every service added before and takes what it uses; on a problem nothing of
     * {@code s} is kept.
     *
     * @param warnings gets the notes (an external address of a family the service does not have)
     * @throws ValidationException naming the service's file, object and field
     * @throws IllegalStateException when a service of that key is already added
     */
    public void add(Service s, List<String> warnings) {
        if (claimed.containsKey(s.key())) {
            throw new IllegalStateException(s.ref() + " is already claimed");
        }
        List<Claim> mine = new ArrayList<>();
        claimed.put(s.key(), mine);
        try {
            for (int i = 0; i < s.clusterIps().size(); i++) {
                clusterIp(s, s.clusterIps().get(i), "spec.clusterIPs[" + i + "]");
            }
            for (ServicePort p : s.ports()) {
                if (p.nodePort() != 0) {
                    nodePort(s, p);
                }
            }
            external(s, s.externalIps(), "spec.externalIPs", warnings);
            external(s, s.loadBalancerIps(), "status.loadBalancer.ingress", warnings);
            frontends(s);
        } catch (RuntimeException e) {
            remove(s.key());
            throw e;
        }
    }

    /** Gives back what the service of {@code serviceKey} took; nothing when it took nothing. */
    public void remove(String serviceKey) {
        List<Claim> mine = claimed.remove(serviceKey);
        if (mine == null) {
            return;
        }
        for (Claim c : mine) {
            switch (c.table()) {
                case 0 -> clusterIps.remove(c.key());
                case 1 -> nodePorts.remove(c.key());
                default -> frontends.remove(c.key());
            }
        }
    }

    private List<Claim> claims(Service s) {
        return claimed.get(s.key());
    }

    private void clusterIp(Service s, IpAddress ip, String path) {
        Cidr range = config.serviceRange(ip.family());
        if (range == null || !ip.in(range)) {
            throw fail(s, path, "clusterIP " + ip + " is outside the service ranges " + config.serviceRanges());
        }
        Service other = clusterIps.putIfAbsent(ip, s);
        if (other != null) {
            throw fail(s, path, "clusterIP " + ip + " is already taken by " + other.ref() + where(other));
        }
        claims(s).add(new Claim(0, ip));
    }

    private void nodePort(Service s, ServicePort p) {
        String path = "spec.ports[" + p.index() + "].nodePort";
        if (!config.nodePorts().contains(p.nodePort())) {
            throw fail(s, path, "nodePort " + p.nodePort() + " is outside the NodePort range " + config.nodePorts());
        }
        String key = p.nodePort() + "/" + p.protocol();
        Service other = nodePorts.putIfAbsent(key, s);
        if (other != null) {
            throw fail(s, path, "nodePort " + p.nodePort() + "/" + p.protocol() + " is already taken by "
                    + (other == s ? "another port of this service" : other.ref() + where(other)));
        }
        claims(s).add(new Claim(1, key));
    }

    private void external(Service s, List<IpAddress> ips, String path, List<String> warnings) {
        for (int i = 0; i < ips.size(); i++) {
            IpAddress ip = ips.get(i);
            String p = path + "[" + i + "]";
            Cidr range = config.serviceRange(ip.family());
            if (range != null && ip.in(range)) {
                throw fail(s, p, ip + " lies in the service range " + range + ", which only ClusterIPs may use");
            }
            if (!config.externalPools().isEmpty() && config.externalPools().stream().noneMatch(ip::in)) {
                throw fail(s, p, ip + " is outside the LoadBalancer/external IP pools " + config.externalPools());
            }
            if (!s.ipFamilies().contains(ip.family())) {
                warnings.add(s.ref() + ": " + p + " " + ip + " is not of the service's families " + s.ipFamilies() + "; ignored");
            }
        }
    }

    /** Every (address, port, protocol) the service answers on, against every other service's. */
    private void frontends(Service s) {
        for (ServicePort p : s.ports()) {
            for (IpAddress ip : s.clusterIps()) {
                claim(s, ip, p.port(), p.protocol(), "spec.ports[" + p.index() + "]", "ClusterIP");
            }
            for (IpAddress ip : s.externalIps()) {
                claim(s, ip, p.port(), p.protocol(), "spec.externalIPs", "external IP");
            }
            for (IpAddress ip : s.loadBalancerIps()) {
                claim(s, ip, p.port(), p.protocol(), "status.loadBalancer.ingress", "LoadBalancer IP");
            }
            if (p.nodePort() != 0) {
                for (IpAddress ip : nodeAddresses) {
                    claim(s, ip, p.nodePort(), p.protocol(), "spec.ports[" + p.index() + "].nodePort", "NodePort");
                }
            }
        }
    }

    private void claim(Service s, IpAddress ip, int port, Protocol proto, String path, String what) {
        String key = ip.withPort(port) + "/" + proto;
        String mine = what + " of " + s.ref();
        String other = frontends.putIfAbsent(key, mine);
        if (other != null && !other.equals(mine)) {
            throw fail(s, path, "duplicate frontend " + key + " (" + what + "): already the " + other);
        }
        if (other == null) {
            claims(s).add(new Claim(2, key));
        }
    }

    private static String where(Service other) {
        return other.source() == null ? "" : " (" + other.source() + ")";
    }

    private static ValidationException fail(Service s, String path, String problem) {
        return new ValidationException(s.source(), s.ref(), path, problem);
    }
}
