package dev.weir.agent.service;

import dev.weir.agent.yaml.YamlNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/**
 * Reads a {@code v1 Service}, strictly, with the API server's defaulting and validation. weir allocates
 * neither ClusterIPs nor NodePorts: both must be written (see docs/service-engine.md). Stateless apart
 * from the configuration.
 */
final class ServiceReader {

    static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "spec", "status");
    private static final Set<String> SPEC = Set.of("type", "selector", "ports", "clusterIP", "clusterIPs", "ipFamilies",
            "ipFamilyPolicy", "externalIPs", "loadBalancerIP", "loadBalancerSourceRanges", "loadBalancerClass",
            "sessionAffinity", "sessionAffinityConfig", "externalTrafficPolicy", "internalTrafficPolicy",
            "publishNotReadyAddresses", "allocateLoadBalancerNodePorts", "healthCheckNodePort", "trafficDistribution",
            "externalName");
    private static final Set<String> PORT = Set.of("name", "protocol", "port", "targetPort", "nodePort", "appProtocol");

    private final ServiceConfig config;

    ServiceReader(ServiceConfig config) {
        this.config = config;
    }

    Service read(YamlNode doc, Meta.Header h) {
        doc.object(TOP);
        YamlNode spec = doc.get("spec");
        if (spec.isNull()) {
            throw spec.error("missing spec");
        }
        spec.object(SPEC);
        Service.Type type = type(spec.get("type"));
        spec.get("selector").stringMap();
        spec.get("publishNotReadyAddresses").bool(false);
        spec.get("loadBalancerClass").textOr(null);
        YamlNode td = spec.get("trafficDistribution");
        if (!td.isNull() && !td.text().equals("PreferClose")) {
            throw td.error("unknown trafficDistribution '" + td.text() + "' (expected PreferClose)");
        }
        boolean headless = isHeadless(spec, type);
        Families fam = headless ? Families.headless(spec) : families(spec);
        boolean lbNodePorts = allocateNodePorts(spec.get("allocateLoadBalancerNodePorts"), type);
        List<ServicePort> ports = ports(spec.get("ports"), type, headless, lbNodePorts);
        List<IpAddress> externalIps = addresses(spec.get("externalIPs"));
        if (headless && !externalIps.isEmpty()) {
            throw spec.get("externalIPs").error("a headless service gets no frontends; externalIPs would be ignored");
        }
        List<IpAddress> lbIps = loadBalancerIps(doc, type);
        List<Cidr> ranges = sourceRanges(spec.get("loadBalancerSourceRanges"), type);
        int timeout = affinity(spec);
        boolean external = type != Service.Type.CLUSTER_IP || !externalIps.isEmpty();
        Service.TrafficPolicy etp = externalPolicy(spec.get("externalTrafficPolicy"), external);
        Service.TrafficPolicy itp = policy(spec.get("internalTrafficPolicy"));
        int hcPort = healthCheckNodePort(spec.get("healthCheckNodePort"), type, etp);
        YamlNode ann = doc.get("metadata").get("annotations");
        Service.Algorithm algorithm = algorithm(ann, h.annotations());
        int m = maglevSize(ann, h.annotations(), algorithm);
        return new Service(h.namespace(), h.name(), doc.doc().file, type, headless, fam.ips, fam.families, fam.policy,
                ports, externalIps, lbIps, ranges, timeout, etp, itp, algorithm, m, h.annotations(), hcPort);
    }

    private static Service.Type type(YamlNode f) {
        String t = f.textOr("ClusterIP");
        return switch (t) {
            case "ClusterIP" -> Service.Type.CLUSTER_IP;
            case "NodePort" -> Service.Type.NODE_PORT;
            case "LoadBalancer" -> Service.Type.LOAD_BALANCER;
            case "ExternalName" -> throw f.error("type ExternalName is not supported: it is a DNS alias, with nothing to load-balance");
            default -> throw f.error("unknown type '" + t + "' (expected ClusterIP, NodePort or LoadBalancer)");
        };
    }

    private static boolean isHeadless(YamlNode spec, Service.Type type) {
        boolean none = "None".equals(spec.get("clusterIP").textOr(null));
        List<YamlNode> ips = spec.get("clusterIPs").list();
        boolean noneInList = !ips.isEmpty() && "None".equals(ips.getFirst().text());
        if (noneInList && (ips.size() != 1 || (!none && spec.has("clusterIP")))) {
            throw spec.get("clusterIPs").error("a headless service has clusterIPs [None] and clusterIP None, nothing else");
        }
        if (none && !ips.isEmpty() && !noneInList) {
            throw spec.get("clusterIPs").error("clusterIPs[0] must equal clusterIP (None)");
        }
        if ((none || noneInList) && type != Service.Type.CLUSTER_IP) {
            throw spec.get("clusterIP").error("clusterIP None (headless) is only valid for type ClusterIP");
        }
        return none || noneInList;
    }

    /** The cluster IPs, families and family policy, cross-checked as the API server does. */
    private record Families(List<IpAddress> ips, List<IpFamily> families, Service.IpFamilyPolicy policy) {

        static Families headless(YamlNode spec) {
            List<IpFamily> fams = familyList(spec.get("ipFamilies"));
            Service.IpFamilyPolicy p = familyPolicy(spec.get("ipFamilyPolicy"), fams.size());
            return new Families(List.of(), fams.isEmpty() ? List.of(IpFamily.IPV4) : fams, p);
        }
    }

    private Families families(YamlNode spec) {
        YamlNode one = spec.get("clusterIP");
        YamlNode many = spec.get("clusterIPs");
        List<IpAddress> ips = new ArrayList<>();
        for (YamlNode y : many.list()) {
            ips.add(Meta.address(y));
        }
        if (!one.isNull() && !one.text().isEmpty()) {
            IpAddress ip = Meta.address(one);
            if (ips.isEmpty()) {
                ips.add(ip);
            } else if (!ips.getFirst().equals(ip)) {
                throw many.error("clusterIPs[0] " + ips.getFirst() + " must equal clusterIP " + ip);
            }
        }
        if (ips.isEmpty()) {
            throw one.error("missing clusterIP: weir does not allocate ClusterIPs; write one from "
                    + config.serviceRanges() + " (or None for a headless service)");
        }
        if (ips.size() > 2 || (ips.size() == 2 && ips.get(0).family() == ips.get(1).family())) {
            throw many.error("at most two clusterIPs, one per family, found " + ips);
        }
        List<IpFamily> fams = familyList(spec.get("ipFamilies"));
        for (int i = 0; i < fams.size() && i < ips.size(); i++) {
            if (fams.get(i) != ips.get(i).family()) {
                throw spec.get("ipFamilies").list().get(i).error("ipFamilies[" + i + "] " + fams.get(i)
                        + " does not match clusterIPs[" + i + "] " + ips.get(i));
            }
        }
        if (fams.size() > ips.size()) {
            throw spec.get("ipFamilies").error("ipFamilies " + fams + " needs a clusterIP per family: weir does not allocate ClusterIPs");
        }
        fams = ips.stream().map(IpAddress::family).toList();
        Service.IpFamilyPolicy policy = familyPolicy(spec.get("ipFamilyPolicy"), fams.size());
        if (policy == Service.IpFamilyPolicy.REQUIRE_DUAL_STACK && fams.size() < 2) {
            throw spec.get("ipFamilyPolicy").error("RequireDualStack needs a clusterIP of each family: weir does not allocate ClusterIPs");
        }
        return new Families(List.copyOf(ips), fams, policy);
    }

    private static List<IpFamily> familyList(YamlNode f) {
        List<IpFamily> out = new ArrayList<>();
        for (YamlNode y : f.list()) {
            IpFamily fam = IpFamily.fromApi(y.text());
            if (fam == null) {
                throw y.error("unknown IP family '" + y.text() + "' (expected IPv4 or IPv6)");
            }
            if (out.contains(fam)) {
                throw y.error("duplicate IP family " + fam);
            }
            out.add(fam);
        }
        return out;
    }

    /** Absent: SingleStack for one family; two families need PreferDualStack or RequireDualStack. */
    private static Service.IpFamilyPolicy familyPolicy(YamlNode f, int families) {
        Service.IpFamilyPolicy p = switch (f.textOr(families > 1 ? "" : "SingleStack")) {
            case "SingleStack" -> Service.IpFamilyPolicy.SINGLE_STACK;
            case "PreferDualStack" -> Service.IpFamilyPolicy.PREFER_DUAL_STACK;
            case "RequireDualStack" -> Service.IpFamilyPolicy.REQUIRE_DUAL_STACK;
            case "" -> throw f.error("missing: two families need PreferDualStack or RequireDualStack");
            default -> throw f.error("unknown ipFamilyPolicy '" + f.text() + "' (expected SingleStack, PreferDualStack or RequireDualStack)");
        };
        if (p == Service.IpFamilyPolicy.SINGLE_STACK && families > 1) {
            throw f.error("SingleStack allows one IP family, found " + families);
        }
        return p;
    }

    private static boolean allocateNodePorts(YamlNode f, Service.Type type) {
        if (!f.isNull() && type != Service.Type.LOAD_BALANCER) {
            throw f.error("only valid for type LoadBalancer");
        }
        return f.bool(true);
    }

    private List<ServicePort> ports(YamlNode list, Service.Type type, boolean headless, boolean lbNodePorts) {
        List<YamlNode> items = list.list();
        if (items.isEmpty() && !headless) {
            throw list.error("missing: a service needs at least one port");
        }
        boolean needsNodePort = type == Service.Type.NODE_PORT || (type == Service.Type.LOAD_BALANCER && lbNodePorts);
        List<ServicePort> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> portProtos = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            ServicePort p = port(items.get(i), i, type, needsNodePort);
            if (items.size() > 1 && p.name().isEmpty()) {
                throw items.get(i).get("name").error("missing: every port of a multi-port service needs a name");
            }
            if (!names.add(p.name())) {
                throw items.get(i).get("name").error("duplicate port name '" + p.name() + "'");
            }
            if (!portProtos.add(p.port() + "/" + p.protocol())) {
                throw items.get(i).get("port").error("duplicate port " + p.port() + "/" + p.protocol());
            }
            out.add(p);
        }
        return out;
    }

    private static ServicePort port(YamlNode y, int index, Service.Type type, boolean needsNodePort) {
        y.object(PORT);
        String name = Meta.portName(y.get("name"));
        Protocol proto = Meta.protocol(y.get("protocol"));
        if (proto == Protocol.SCTP) {
            throw y.get("protocol").error("SCTP services are not supported: weir's load-balancing maps and NAT carry TCP and UDP only");
        }
        if (y.get("port").isNull()) {
            throw y.get("port").error("missing port");
        }
        int port = y.get("port").integer(1, 65535);
        ServicePort.TargetPort target = targetPort(y.get("targetPort"), port);
        y.get("appProtocol").textOr(null);
        YamlNode np = y.get("nodePort");
        int nodePort = 0;
        if (!np.isNull() && np.integer(0, 65535) != 0) {
            if (type == Service.Type.CLUSTER_IP) {
                throw np.error("nodePort is only valid for types NodePort and LoadBalancer");
            }
            nodePort = np.integer(1, 65535);
        } else if (needsNodePort) {
            throw np.error("missing nodePort: weir does not allocate NodePorts; write one from the NodePort range");
        }
        return new ServicePort(index, name, proto, port, target, nodePort);
    }

    /** A number 1..65535, or an IANA service name; absent means the service port. */
    private static ServicePort.TargetPort targetPort(YamlNode f, int port) {
        if (f.isNull()) {
            return ServicePort.TargetPort.of(port);
        }
        if (f.node().isTextual()) {
            String n = f.text();
            if (!Meta.SVC_NAME.matcher(n).matches()) {
                throw f.error("'" + n + "' is not a valid named port (at most 15 lower-case letters, digits and '-',"
                        + " with a letter; numbers are written unquoted)");
            }
            return ServicePort.TargetPort.named(n);
        }
        return ServicePort.TargetPort.of(f.integer(1, 65535));
    }

    private static List<IpAddress> addresses(YamlNode list) {
        Set<IpAddress> out = new LinkedHashSet<>();
        for (YamlNode y : list.list()) {
            if (!out.add(Meta.address(y))) {
                throw y.error("duplicate address " + y.text());
            }
        }
        return List.copyOf(out);
    }

    /** status.loadBalancer.ingress[].ip, then spec.loadBalancerIP, without duplicates. */
    private static List<IpAddress> loadBalancerIps(YamlNode doc, Service.Type type) {
        Set<IpAddress> out = new LinkedHashSet<>();
        YamlNode status = doc.get("status");
        if (status.optionalObject(Set.of("loadBalancer", "conditions"))) {
            YamlNode lb = status.get("loadBalancer");
            if (lb.optionalObject(Set.of("ingress"))) {
                for (YamlNode in : lb.get("ingress").list()) {
                    in.object(Set.of("ip", "hostname", "ipMode", "ports"));
                    if (in.has("hostname")) {
                        throw in.get("hostname").error("hostname ingress is not supported: weir needs an ip");
                    }
                    if (in.get("ip").isNull()) {
                        throw in.get("ip").error("missing ip");
                    }
                    mode(in.get("ipMode"));
                    out.add(Meta.address(in.get("ip")));
                }
                if (!out.isEmpty() && type != Service.Type.LOAD_BALANCER) {
                    throw lb.get("ingress").error("load-balancer ingress on a service of a type other than LoadBalancer");
                }
            }
        }
        YamlNode ip = doc.get("spec").get("loadBalancerIP");
        if (!ip.isNull() && !ip.text().isEmpty()) {
            if (type != Service.Type.LOAD_BALANCER) {
                throw ip.error("only valid for type LoadBalancer");
            }
            out.add(Meta.address(ip));
        }
        return List.copyOf(out);
    }

    private static void mode(YamlNode f) {
        String m = f.textOr("VIP");
        if (!m.equals("VIP") && !m.equals("Proxy")) {
            throw f.error("unknown ipMode '" + m + "' (expected VIP or Proxy)");
        }
    }

    private static List<Cidr> sourceRanges(YamlNode list, Service.Type type) {
        List<Cidr> out = new ArrayList<>();
        for (YamlNode y : list.list()) {
            out.add(Meta.cidr(y));
        }
        if (!out.isEmpty() && type != Service.Type.LOAD_BALANCER) {
            throw list.error("only valid for type LoadBalancer");
        }
        return out;
    }

    /** ClientIP: the timeout (default 10800 s, 1..86400); None: 0. */
    private static int affinity(YamlNode spec) {
        YamlNode sa = spec.get("sessionAffinity");
        YamlNode cfg = spec.get("sessionAffinityConfig");
        String mode = sa.textOr("None");
        if (!mode.equals("None") && !mode.equals("ClientIP")) {
            throw sa.error("unknown sessionAffinity '" + mode + "' (expected None or ClientIP)");
        }
        if (mode.equals("None")) {
            if (!cfg.isNull()) {
                throw cfg.error("only valid with sessionAffinity ClientIP");
            }
            return 0;
        }
        if (!cfg.optionalObject(Set.of("clientIP"))) {
            return Service.DEFAULT_AFFINITY_TIMEOUT;
        }
        YamlNode cip = cfg.get("clientIP");
        if (!cip.optionalObject(Set.of("timeoutSeconds")) || cip.get("timeoutSeconds").isNull()) {
            return Service.DEFAULT_AFFINITY_TIMEOUT;
        }
        return cip.get("timeoutSeconds").integer(1, 86400);
    }

    private static Service.TrafficPolicy policy(YamlNode f) {
        return switch (f.textOr("Cluster")) {
            case "Cluster" -> Service.TrafficPolicy.CLUSTER;
            case "Local" -> Service.TrafficPolicy.LOCAL;
            default -> throw f.error("unknown traffic policy '" + f.text() + "' (expected Cluster or Local)");
        };
    }

    private static Service.TrafficPolicy externalPolicy(YamlNode f, boolean external) {
        if (!f.isNull() && !external) {
            throw f.error("only valid for a service reachable from outside (NodePort, LoadBalancer or externalIPs)");
        }
        return policy(f);
    }

    private static int healthCheckNodePort(YamlNode f, Service.Type type, Service.TrafficPolicy etp) {
        if (f.isNull()) {
            return 0;
        }
        if (type != Service.Type.LOAD_BALANCER || etp != Service.TrafficPolicy.LOCAL) {
            throw f.error("only valid for type LoadBalancer with externalTrafficPolicy Local");
        }
        return f.integer(1, 65535);
    }

    private static Service.Algorithm algorithm(YamlNode ann, Map<String, String> annotations) {
        for (String k : annotations.keySet()) {
            if (k.startsWith("weir.dev/") && !k.equals(Service.ALGORITHM_ANNOTATION) && !k.equals(Service.MAGLEV_SIZE_ANNOTATION)) {
                throw ann.get(k).error("unknown weir annotation (expected " + Service.ALGORITHM_ANNOTATION
                        + " or " + Service.MAGLEV_SIZE_ANNOTATION + ")");
            }
        }
        String a = annotations.getOrDefault(Service.ALGORITHM_ANNOTATION, "random");
        return switch (a) {
            case "random" -> Service.Algorithm.RANDOM;
            case "maglev" -> Service.Algorithm.MAGLEV;
            default -> throw ann.get(Service.ALGORITHM_ANNOTATION).error("unknown algorithm '" + a + "' (expected maglev or random)");
        };
    }

    private int maglevSize(YamlNode ann, Map<String, String> annotations, Service.Algorithm algorithm) {
        String m = annotations.get(Service.MAGLEV_SIZE_ANNOTATION);
        if (m == null) {
            return algorithm == Service.Algorithm.MAGLEV ? config.defaultMaglevM() : 0;
        }
        YamlNode f = ann.get(Service.MAGLEV_SIZE_ANNOTATION);
        if (algorithm != Service.Algorithm.MAGLEV) {
            throw f.error("a Maglev table size needs " + Service.ALGORITHM_ANNOTATION + ": maglev");
        }
        if (!m.matches("\\d{1,7}")) {
            throw f.error("'" + m + "' is not a number");
        }
        int size = Integer.parseInt(m);
        if (size < 3 || size > config.maxMaglevM() || !Maglev.isPrime(size)) {
            throw f.error(size + " is not a prime in 3.." + config.maxMaglevM() + " (e.g. 251, 1021, 4093, 16381, 65521)");
        }
        return size;
    }
}
