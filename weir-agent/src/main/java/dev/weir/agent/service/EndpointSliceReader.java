package dev.weir.agent.service;

import dev.weir.agent.yaml.YamlNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.weir.agent.net.Protocol;

/** Reads a {@code discovery.k8s.io/v1} EndpointSlice, strictly, with the API's defaults. Stateless. */
final class EndpointSliceReader {

    static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "addressType", "endpoints", "ports");
    private static final Set<String> ENDPOINT = Set.of("addresses", "conditions", "nodeName", "zone", "hostname",
            "targetRef", "hints", "deprecatedTopology");
    private static final Set<String> TARGET_REF = Set.of("kind", "namespace", "name", "uid", "apiVersion",
            "resourceVersion", "fieldPath");

    private EndpointSliceReader() {
    }

    static EndpointSlice read(YamlNode doc, Meta.Header h) {
        doc.object(TOP);
        YamlNode label = doc.get("metadata").get("labels").get(EndpointSlice.SERVICE_NAME_LABEL);
        if (label.isNull()) {
            throw label.error("missing: weir binds a slice to its Service by this label");
        }
        String service = label.text();
        if (!Meta.DNS_LABEL.matcher(service).matches()) {
            throw label.error("'" + service + "' is not a valid Service name");
        }
        YamlNode at = doc.get("addressType");
        IpFamily family = switch (at.text()) {
            case "IPv4" -> IpFamily.IPV4;
            case "IPv6" -> IpFamily.IPV6;
            case "FQDN" -> throw at.error("addressType FQDN is not supported (deprecated in Kubernetes; weir load-balances to addresses)");
            default -> throw at.error("unknown addressType '" + at.text() + "' (expected IPv4 or IPv6)");
        };
        List<EndpointSlice.SliceEndpoint> endpoints = new ArrayList<>();
        for (YamlNode e : doc.get("endpoints").list()) {
            endpoints.add(endpoint(e, family));
        }
        List<EndpointSlice.Port> ports = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlNode p : doc.get("ports").list()) {
            p.object(Set.of("name", "port", "protocol", "appProtocol"));
            String name = Meta.portName(p.get("name"));
            if (!names.add(name)) {
                throw p.get("name").error("duplicate port name '" + name + "'");
            }
            if (p.get("port").isNull()) {
                throw p.get("port").error("missing port (a slice port without a number means 'all ports', which weir does not support)");
            }
            int port = p.get("port").integer(1, 65535);
            Protocol proto = Meta.protocol(p.get("protocol"));
            p.get("appProtocol").textOr(null);
            ports.add(new EndpointSlice.Port(name, port, proto));
        }
        return new EndpointSlice(h.namespace(), h.name(), doc.doc().file, service, family, endpoints, ports);
    }

    private static EndpointSlice.SliceEndpoint endpoint(YamlNode e, IpFamily family) {
        e.object(ENDPOINT);
        List<YamlNode> addrs = e.get("addresses").list();
        if (addrs.isEmpty() || addrs.size() > 100) {
            throw e.get("addresses").error("an endpoint needs 1 to 100 addresses, found " + addrs.size());
        }
        List<IpAddress> addresses = new ArrayList<>();
        for (YamlNode a : addrs) {
            IpAddress ip = Meta.address(a);
            if (ip.family() != family) {
                throw a.error("address " + ip + " is not of the slice's addressType " + family);
            }
            addresses.add(ip);
        }
        YamlNode c = e.get("conditions");
        Boolean ready = null;
        Boolean serving = null;
        boolean terminating = false;
        if (c.optionalObject(Set.of("ready", "serving", "terminating"))) {
            ready = c.get("ready").boolOrNull();
            serving = c.get("serving").boolOrNull();
            terminating = c.get("terminating").bool(false);
        }
        boolean r = ready == null || ready;
        String node = e.get("nodeName").textOr(null);
        if (node != null && !Meta.DNS_SUBDOMAIN.matcher(node).matches()) {
            throw e.get("nodeName").error("'" + node + "' is not a valid node name");
        }
        e.get("zone").textOr(null);
        e.get("hostname").textOr(null);
        e.get("hints").optionalObject(Set.of("forZones", "forNodes"));
        e.get("deprecatedTopology").stringMap();
        return new EndpointSlice.SliceEndpoint(addresses, r, serving == null ? r : serving, terminating, node, targetRef(e.get("targetRef")));
    }

    private static String targetRef(YamlNode t) {
        if (!t.optionalObject(TARGET_REF)) {
            return null;
        }
        String kind = t.get("kind").textOr("");
        String ns = t.get("namespace").textOr(null);
        String name = t.get("name").textOr("");
        for (String f : List.of("uid", "apiVersion", "resourceVersion", "fieldPath")) {
            t.get(f).textOr(null);
        }
        return (kind + " " + (ns == null ? "" : ns + "/") + name).strip();
    }
}
