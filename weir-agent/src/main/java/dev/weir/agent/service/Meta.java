package dev.weir.agent.service;

import dev.weir.agent.yaml.YamlNode;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.weir.agent.net.Cidr;
import dev.weir.agent.net.Protocol;

/** Readers shared by Service and EndpointSlice: metadata, names, addresses, protocols. Stateless. */
final class Meta {

    static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** IANA_SVC_NAME: at most 15 of lower-case letters, digits and '-', at least one letter, no "--". */
    static final Pattern SVC_NAME = Pattern.compile("(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?");
    /** Fields of metadata weir reads, plus the server-set ones it accepts and ignores (kubectl get -o yaml). */
    private static final Set<String> METADATA = Set.of("name", "namespace", "labels", "annotations", "uid",
            "resourceVersion", "generation", "creationTimestamp", "ownerReferences", "finalizers", "managedFields");

    private Meta() {
    }

    record Header(String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {
    }

    static Header header(YamlNode doc) {
        YamlNode m = doc.get("metadata");
        if (m.isNull()) {
            throw m.error("missing metadata (name is required)");
        }
        m.object(METADATA);
        YamlNode n = m.get("name");
        if (n.isNull() || n.text().isEmpty()) {
            throw n.error("missing name (generateName is not supported)");
        }
        if (!DNS_SUBDOMAIN.matcher(n.text()).matches()) {
            throw n.error("'" + n.text() + "' is not a valid name (lower-case letters, digits, '-' and '.')");
        }
        String ns = "default";
        YamlNode nsField = m.get("namespace");
        if (!nsField.isNull()) {
            ns = nsField.text();
            if (!DNS_LABEL.matcher(ns).matches()) {
                throw nsField.error("'" + ns + "' is not a valid namespace name");
            }
        }
        return new Header(n.text(), ns, m.get("labels").stringMap(), m.get("annotations").stringMap());
    }

    static IpAddress address(YamlNode f) {
        try {
            return IpAddress.parse(f.text());
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    static Cidr cidr(YamlNode f) {
        try {
            return Cidr.parse(f.text());
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
    }

    /** TCP (the default), UDP or SCTP, as the API spells them. */
    static Protocol protocol(YamlNode f) {
        String t = f.textOr("TCP");
        return switch (t) {
            case "TCP" -> Protocol.TCP;
            case "UDP" -> Protocol.UDP;
            case "SCTP" -> Protocol.SCTP;
            default -> throw f.error("unknown protocol '" + t + "' (expected TCP, UDP or SCTP)");
        };
    }

    /** An optional port name: "" when absent; else a DNS label. */
    static String portName(YamlNode f) {
        if (f.isNull()) {
            return "";
        }
        String n = f.text();
        if (!n.isEmpty() && !DNS_LABEL.matcher(n).matches()) {
            throw f.error("'" + n + "' is not a valid port name (at most 63 lower-case letters, digits and '-')");
        }
        return n;
    }
}
